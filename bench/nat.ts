/**
 * NAT lab benchmark, side by side: the edgeswarm daemon vs a plain js-libp2p peer made of stock modules,
 * on every cell of {public, eim, symmetric}², in network namespaces (test/nat/lab.ts). Per cell: process
 * start to first relay reservation, dial to first byte, relayed → direct upgrade time, the path the
 * bytes ended on (checked against router byte counters); then the share of cells ending direct, and
 * 64 MiB throughput direct vs relayed with and without a 100 Mbit/s tbf limit on both routers.
 *
 * Needs root (network namespaces). Run alone with `node bench/nat.ts`, or via `npm run bench`.
 */
import { fileURLToPath } from 'node:url'
import { daemonDriver, daemonMissing } from '../test/nat/drivers/daemon.ts'
import { stockDriver } from '../test/nat/drivers/stock.ts'
import type { PeerDriver } from '../test/nat/drivers/types.ts'
import { createLab, type Lab, trapTeardown } from '../test/nat/lab.ts'
import { netnsAvailable } from '../test/nat/netns.ts'
import { NAT_MODES, type NatMode } from '../test/nat/router.ts'
import { describePair, expectation, MiB, type NatContext, runPair } from '../test/nat/run-pair.ts'

export interface CellResult {
  cell: string
  expected: 'direct' | 'relayed'
  /** Path the bulk bytes took (sender's report), or the error. */
  path?: string
  /** Where router A's counters say the bytes went. */
  bulkVia?: string
  reservedMs?: number
  dialToFirstByteMs?: number
  upgradeMs?: number
  error?: string
}

export interface ThroughputResult {
  path: 'direct' | 'relayed'
  cell: string
  rateMbit: number | null
  mbytesPerSec?: number
  reportedPath?: string
  error?: string
}

const BULK_BYTES = MiB
const THROUGHPUT_BYTES = 64 * MiB

async function cells(lab: Lab, edge: NatContext['edge'], driver: PeerDriver): Promise<CellResult[]> {
  const out: CellResult[] = []
  for (const a of NAT_MODES) {
    for (const b of NAT_MODES) {
      const expected = expectation(a, b).path
      const cell = `${a} x ${b}`
      try {
        const r = await runPair({ lab, edge, driver }, a, b, { bytes: BULK_BYTES, upgradeWindowMs: 10_000 })
        console.log(`[${driver.name}] ${describePair(r)}`)
        out.push({
          cell,
          expected,
          path: r.send.path,
          bulkVia: r.bulkVia,
          reservedMs: Math.max(r.reservedMs.a, r.reservedMs.b),
          dialToFirstByteMs: Math.round(r.first.dialMs),
          ...(r.upgrade === undefined ? {} : { upgradeMs: r.upgrade.upgradeMs }),
        })
      } catch (err) {
        const error = (err as Error).message.split('\n')[0] ?? String(err)
        console.log(`[${driver.name}] ${cell}: FAILED ${error}`)
        out.push({ cell, expected, error })
      }
    }
  }
  return out
}

async function throughput(
  lab: Lab,
  edge: NatContext['edge'],
  driver: PeerDriver,
): Promise<ThroughputResult[]> {
  const out: ThroughputResult[] = []
  // eim x public: direct over whatever the daemon picks (TCP or WebRTC; reportedPath says which).
  const pairs: Array<[NatMode, NatMode, 'direct' | 'relayed']> = [
    ['eim', 'public', 'direct'],
    ['eim', 'eim', 'direct'],
    ['symmetric', 'symmetric', 'relayed'],
  ]
  for (const rateMbit of [undefined, 100]) {
    for (const [a, b, path] of pairs) {
      const cell = `${a} x ${b}`
      try {
        const r = await runPair({ lab, edge, driver }, a, b, {
          bytes: THROUGHPUT_BYTES,
          ...(rateMbit === undefined ? {} : { rateMbit }),
        })
        const mbytesPerSec = Math.round((THROUGHPUT_BYTES / 1e6 / (r.send.transferMs / 1000)) * 10) / 10
        console.log(
          `[${driver.name}] 64 MiB ${r.send.path} (${cell}), tbf ${rateMbit ?? 'none'}: ${mbytesPerSec} MB/s`,
        )
        out.push({ path, cell, rateMbit: rateMbit ?? null, mbytesPerSec, reportedPath: r.send.path })
      } catch (err) {
        out.push({
          path,
          cell,
          rateMbit: rateMbit ?? null,
          error: (err as Error).message.split('\n')[0] ?? '',
        })
      }
    }
  }
  return out
}

function summary(rows: CellResult[]) {
  const ok = rows.filter((r) => r.error === undefined)
  const direct = ok.filter((r) => r.path?.startsWith('direct-') === true && r.bulkVia === 'direct')
  const median = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y)
    return s.length === 0 ? null : s[Math.floor(s.length / 2)]!
  }
  return {
    cellsEndingDirect: `${direct.length}/${rows.length}`,
    shareDirect: Math.round((direct.length / rows.length) * 100) / 100,
    asExpected: rows.filter(
      (r) => r.error === undefined && (r.path?.startsWith('direct') ? 'direct' : 'relayed') === r.expected,
    ).length,
    failed: rows.length - ok.length,
    medianReservedMs: median(ok.flatMap((r) => (r.reservedMs === undefined ? [] : [r.reservedMs]))),
    medianDialToFirstByteMs: median(
      ok.flatMap((r) => (r.dialToFirstByteMs === undefined ? [] : [r.dialToFirstByteMs])),
    ),
    medianUpgradeMs: median(ok.flatMap((r) => (r.upgradeMs === undefined ? [] : [r.upgradeMs]))),
  }
}

function printTable(edgeswarm: CellResult[], stock: CellResult[]): void {
  const fmt = (r: CellResult | undefined) =>
    r === undefined
      ? '-'
      : r.error !== undefined
        ? 'FAILED'
        : `${r.path} res ${r.reservedMs}ms fb ${r.dialToFirstByteMs}ms up ${r.upgradeMs ?? '-'}ms`
  console.log(`\n${'cell'.padEnd(22)}${'edgeswarm daemon'.padEnd(60)}stock js-libp2p`)
  for (const r of edgeswarm) {
    console.log(`${r.cell.padEnd(22)}${fmt(r).padEnd(60)}${fmt(stock.find((s) => s.cell === r.cell))}`)
  }
}

export async function runNatBench(): Promise<object> {
  const avail = netnsAvailable()
  if (!avail.ok) {
    console.warn(`NAT bench SKIPPED: ${avail.why}`)
    return { skipped: avail.why }
  }
  const missing = daemonMissing()
  const lab = await createLab()
  const untrap = trapTeardown(lab)
  try {
    const edge = await lab.startEdge()
    const edgeswarm = missing === undefined ? await cells(lab, edge, daemonDriver) : []
    const stock = await cells(lab, edge, stockDriver)
    printTable(edgeswarm, stock)
    const tput = missing === undefined ? await throughput(lab, edge, daemonDriver) : []
    return {
      note:
        'dial-to-first-byte: stock = measured in-process; daemon = first CLI ping minus CLI start-up (second ping). ' +
        'reservedMs = max of both peers, process spawn to first reservation. Stock peers upgrade by dialling /webrtc ' +
        'through the relay (and TCP listen addresses), as universal-connectivity does.',
      edgeswarm:
        missing === undefined ? { summary: summary(edgeswarm), cells: edgeswarm } : { skipped: missing },
      stock: { summary: summary(stock), cells: stock },
      throughput64MiB: tput,
    }
  } finally {
    await lab.destroy()
    untrap()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const res = await runNatBench()
  console.log(JSON.stringify(res, null, 2))
}

/**
 * `runPair(ctx, natA, natB)`: the one helper behind every NAT matrix cell. Rebuilds both homes with
 * fresh routers (so no NAT mapping or conntrack entry survives from the previous cell), starts one
 * peer in each, has A reach B by peer ID, gives the path a bounded chance to go direct, sends the
 * bulk bytes and reads which way they went from three independent sources: the sender's report,
 * the receiver's digest and path, and the routers' byte counters (did the bulk cross the services
 * host or go straight to the other home?).
 *
 * @example
 * ```ts
 * const r = await runPair(ctx, 'eim', 'eim')
 * expect(r.bulkVia).toBe('direct')
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  DirectUpgrade,
  LabPeer,
  PathKind,
  PeerDriver,
  ReceiveRecord,
  SendOutcome,
} from './drivers/types.ts'
import type { LabEdge } from './edge.ts'
import type { Lab } from './lab.ts'
import { diffCounters, type NatMode, type RouterCounters } from './router.ts'

export const MiB = 1024 * 1024

export interface NatContext {
  lab: Lab
  edge: LabEdge
  driver: PeerDriver
}

export interface Expectation {
  path: 'direct' | 'relayed'
  why: string
}

/** What each cell should end as, and why (the test prints the reason with any failure). */
export function expectation(a: NatMode, b: NatMode): Expectation {
  if (a === 'public' || b === 'public') {
    return {
      path: 'direct',
      why: 'one side is publicly reachable: the NATed side dials its TCP address (or answers a WebRTC check from it)',
    }
  }
  if (a === 'eim' && b === 'eim') {
    return {
      path: 'direct',
      why: 'both NATs map endpoint-independently: the ports STUN saw are the ports the peer must hit, so simultaneous WebRTC/UDP checks open both routers',
    }
  }
  return {
    path: 'relayed',
    why: 'a symmetric NAT picks a new port per destination, so the port STUN reported is not the one the peer would have to hit, and the other router only admits the exact address and port it sent to; without port prediction no direct path exists and the edge relay carries the bytes',
  }
}

export interface PairOptions {
  /** Bulk transfer size. @default 8 MiB */
  bytes?: number
  /** How long a cell may take to go direct before the bulk transfer starts, ms. @default 15_000 (direct) / 8_000 (relayed) */
  upgradeWindowMs?: number
  /** tbf limit on both routers, Mbit/s. @default none */
  rateMbit?: number
  /** Keep the peers running (fault cells); the caller stops them. @default false */
  keep?: boolean
}

export interface PairResult {
  cell: string
  a: LabPeer
  b: LabPeer
  reservedMs: { a: number; b: number }
  /** First contact: path and time from dial to first byte. */
  first: { path: PathKind; dialMs: number }
  /** The relayed → direct upgrade, when it happened inside the window. */
  upgrade?: DirectUpgrade
  send: SendOutcome
  receipt: ReceiveRecord
  /** Router counters over the bulk transfer only. */
  routerA: RouterCounters
  routerB: RouterCounters
  /** Where the bulk bytes went according to router A's counters. */
  bulkVia: 'edge' | 'direct' | 'unclear'
  /** Stops the peers and removes their data dirs (already done unless `keep` was set). */
  cleanup: () => Promise<void>
}

/** Reads the counters: the bulk (>= 90% of it) either left A's router towards the services host or not. */
export function classifyBulk(c: RouterCounters, bytes: number): PairResult['bulkVia'] {
  if (c.upToServices >= 0.9 * bytes && c.upToOthers < 0.1 * bytes) return 'edge'
  if (c.upToOthers >= 0.9 * bytes && c.upToServices < 0.1 * bytes) return 'direct'
  return 'unclear'
}

export async function startPeer(ctx: NatContext, id: 'a' | 'b', dataDir?: string): Promise<LabPeer> {
  const home = ctx.lab.homes.get(id)
  if (home === undefined) throw new Error(`home ${id} does not exist`)
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), `edgeswarm-nat-${id}-`))
  return ctx.driver.start({ lab: ctx.lab, edge: ctx.edge, home, dataDir: dir })
}

export async function runPair(ctx: NatContext, natA: NatMode, natB: NatMode, opts: PairOptions = {}) {
  const bytes = opts.bytes ?? 8 * MiB
  const exp = expectation(natA, natB)
  const window = opts.upgradeWindowMs ?? (exp.path === 'direct' ? 15_000 : 8_000)
  const { lab } = ctx
  await lab.removeHome('a')
  await lab.removeHome('b')
  const rate = opts.rateMbit === undefined ? {} : { rateMbit: opts.rateMbit }
  const homeA = await lab.addHome('a', natA, rate)
  const homeB = await lab.addHome('b', natB, rate)
  const dirs = [
    mkdtempSync(join(tmpdir(), 'edgeswarm-nat-a-')),
    mkdtempSync(join(tmpdir(), 'edgeswarm-nat-b-')),
  ]
  const peers: LabPeer[] = []
  const cleanup = async () => {
    await Promise.all(peers.map((p) => p.stop()))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  try {
    const [a, b] = await Promise.all([startPeer(ctx, 'a', dirs[0]), startPeer(ctx, 'b', dirs[1])])
    peers.push(a, b)
    const first = await a.connect(b)
    const upgrade = await a.waitDirect(b, window)
    const beforeA = await homeA.counters()
    const beforeB = await homeB.counters()
    const send = await a.send(b, bytes)
    const receipt = await b.received(a)
    const routerA = diffCounters(beforeA, await homeA.counters())
    const routerB = diffCounters(beforeB, await homeB.counters())
    const result: PairResult = {
      cell: `${natA} x ${natB}`,
      a,
      b,
      reservedMs: { a: a.reservedMs, b: b.reservedMs },
      first,
      ...(upgrade === undefined ? {} : { upgrade }),
      send,
      receipt,
      routerA,
      routerB,
      bulkVia: classifyBulk(routerA, bytes),
      cleanup,
    }
    return result
  } catch (err) {
    await cleanup()
    throw err
  } finally {
    if (opts.keep !== true) await cleanup()
  }
}

/** One line per cell for logs and the bench: path, timings, where the bulk went. */
/** Where an upgrade's time went: attempt start, dial, verify, and the WebRTC steps (ms into the dial). */
function upgradeSteps(u: DirectUpgrade | undefined): string {
  if (u?.startMs === undefined || u.dialMs === undefined) return ''
  const verify = u.upgradeMs - u.startMs - u.dialMs
  const steps = Object.entries(u.phases ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return ` (start ${u.startMs}, dial ${u.dialMs}${steps === '' ? '' : ` [${steps}]`}, verify ${verify})`
}

export function describePair(r: PairResult): string {
  const mb = (n: number) => (n / MiB).toFixed(1)
  return (
    `${r.cell}: ${r.send.path} (bulk via ${r.bulkVia}: up-to-edge ${mb(r.routerA.upToServices)} MiB, ` +
    `up-to-peer ${mb(r.routerA.upToOthers)} MiB), reserved ${r.reservedMs.a}/${r.reservedMs.b} ms, ` +
    `first byte ${r.first.dialMs} ms (${r.first.path}), upgrade ${r.upgrade?.upgradeMs ?? '-'} ms` +
    `${upgradeSteps(r.upgrade)}, ` +
    `${mb(r.send.bytes)} MiB in ${r.send.transferMs} ms`
  )
}

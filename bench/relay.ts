/**
 * Relay benchmark, side by side in one run: 64 MiB one way through the edge relay shard (workerd),
 * through a plain Node.js js-libp2p relay configured the same way, and direct between the two peers.
 * Prints MB/s, relay CPU seconds per 64 MiB, dial-to-first-byte ms and ratios; then ramps idle
 * reservations on one edge shard and reports the shard's memory (process RSS and isolate heap) and CPU.
 *
 * Standalone: `node bench/relay.ts` (after `npm run build`); normally via `npm run bench`.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { startEdge } from '../scripts/lib/edge.ts'
import { waitFor } from '../scripts/lib/wait.ts'
import { createClient } from './lib/client.ts'
import { type HeapUsage, isolateHeap } from './lib/heap.ts'
import { cpuSeconds, findDescendants, machineBusy, machineCpuTimes, rssBytes } from './lib/proc.ts'
import { SINK_PROTOCOL, sendToSink } from './lib/sink.ts'

const MIB = 1024 * 1024

export interface PathResult {
  path: 'edge-relay' | 'node-relay' | 'direct'
  mbPerSec: number
  /** Median of the runs. */
  runsMbPerSec: number[]
  relayCpuSecondsPer64MiB: number | null
  /**
   * Edge only: CPU of wrangler dev's other workerd process, which forwards every WebSocket frame to the
   * shard's workerd on this machine (a deployed edge has no such hop). It competes for the same cores.
   */
  devProxyCpuSecondsPer64MiB: number | null
  /** Share of the whole machine's CPU busy during the transfers (median): near 1 means CPU-bound. */
  machineBusy: number
  dialToFirstByteMs: number
}

export interface RampStep {
  reservations: number
  /** Set when the step could not reach its target: what failed, with the count reached. */
  error?: string
  relayRssMiB: number
  /** The worker isolate's V8 heap (used / total MiB) over the inspector: what Cloudflare's 128 MB limit counts. */
  heapUsedMiB: number | null
  heapTotalMiB: number | null
  relayCpuSecondsForStep: number
  stepSeconds: number
}

export interface RelayBenchResult {
  bytes: number
  paths: PathResult[]
  ratios: { edgeOverNodeRelay: number; edgeOverDirect: number; nodeRelayOverDirect: number }
  ramp: RampStep[]
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

async function reserve(relayAddr: string): Promise<Libp2p> {
  const node = await createClient({ listen: [`${relayAddr}/p2p-circuit`] })
  await waitFor(
    `reservation on ${relayAddr}`,
    () => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')),
    30_000,
    25,
  )
  return node
}

async function measurePath(
  path: PathResult['path'],
  targetAddr: string,
  relayPid: number | undefined,
  bytes: number,
  runs: number,
  proxyPids: number[] = [],
): Promise<PathResult> {
  const proxyCpu = () => proxyPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  const dialer = await createClient()
  try {
    const t0 = performance.now()
    const conn = await dialer.dial(multiaddr(targetAddr))
    const probe = await conn.newStream(SINK_PROTOCOL, { runOnLimitedConnection: true })
    await sendToSink(probe, 1)
    const dialToFirstByteMs = performance.now() - t0
    const speeds: number[] = []
    const cpus: number[] = []
    const proxyCpus: number[] = []
    const busy: number[] = []
    for (let i = 0; i < runs; i++) {
      const stream = await conn.newStream(SINK_PROTOCOL, { runOnLimitedConnection: true })
      const cpu0 = relayPid === undefined ? 0 : cpuSeconds(relayPid)
      const proxy0 = proxyCpu()
      const machine0 = machineCpuTimes()
      const t1 = performance.now()
      const got = await sendToSink(stream, bytes)
      const secs = (performance.now() - t1) / 1000
      if (got !== bytes) throw new Error(`${path}: receiver counted ${got} bytes, sent ${bytes}`)
      speeds.push(bytes / 1e6 / secs)
      busy.push(machineBusy(machine0, machineCpuTimes()))
      proxyCpus.push(((proxyCpu() - proxy0) * (64 * MIB)) / bytes)
      if (relayPid !== undefined) cpus.push(((cpuSeconds(relayPid) - cpu0) * (64 * MIB)) / bytes)
    }
    return {
      path,
      mbPerSec: round(median(speeds)),
      runsMbPerSec: speeds.map((s) => round(s)),
      relayCpuSecondsPer64MiB: relayPid === undefined ? null : round(median(cpus)),
      devProxyCpuSecondsPer64MiB: proxyPids.length === 0 ? null : round(median(proxyCpus)),
      machineBusy: round(median(busy)),
      dialToFirstByteMs: round(dialToFirstByteMs, 1),
    }
  } finally {
    await dialer.stop()
  }
}

/** Starts a bench script as its own process and returns the JSON line it prints once ready. */
async function startChild<T>(
  script: string,
  args: string[] = [],
): Promise<T & { pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
    createInterface({ input: child.stdout! }).once('line', resolve)
  })
  return { ...(JSON.parse(line) as T), pid: child.pid!, stop: () => child.kill('SIGTERM') }
}

async function ramp(
  relayAddr: string,
  relayPid: number,
  steps: number[],
  metricsUrl: string,
  edgeLog: () => string,
  heap: () => Promise<HeapUsage | undefined>,
): Promise<RampStep[]> {
  const clients: Libp2p[] = []
  const out: RampStep[] = []
  try {
    for (const target of steps) {
      const cpu0 = cpuSeconds(relayPid)
      const t0 = performance.now()
      let error: string | undefined
      try {
        while (clients.length < target) {
          const batch = Math.min(25, target - clients.length)
          clients.push(...(await Promise.all(Array.from({ length: batch }, () => reserve(relayAddr)))))
        }
        // the shard's own count, not ours: read it from /metrics
        await waitFor(
          `${target} reservations in /metrics`,
          async () => {
            const text = await (await fetch(metricsUrl)).text()
            const m = /^edgeswarm_relay_reservations\{shard="0"\} (\d+)/m.exec(text)
            return m !== null && Number(m[1]) >= target
          },
          30_000,
        )
      } catch (err) {
        error = `stopped at ${clients.length} reservations: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`
        console.warn(`  ramp: ${error}\n  edge log tail:\n${edgeLog().slice(-1500)}`)
      }
      const h = await heap().catch((err: unknown) => {
        console.warn(`  ramp: isolate heap not read: ${(err as Error).message}`)
        return undefined
      })
      out.push({
        reservations: clients.length,
        ...(error === undefined ? {} : { error }),
        relayRssMiB: round(rssBytes(relayPid) / MIB, 1),
        heapUsedMiB: h === undefined ? null : round(h.usedMiB, 1),
        heapTotalMiB: h === undefined ? null : round(h.totalMiB, 1),
        relayCpuSecondsForStep: round(cpuSeconds(relayPid) - cpu0),
        stepSeconds: round((performance.now() - t0) / 1000, 1),
      })
      console.log(
        `  ramp: ${clients.length} idle reservations, shard RSS ${out.at(-1)?.relayRssMiB} MiB, isolate heap ${out.at(-1)?.heapUsedMiB}/${out.at(-1)?.heapTotalMiB} MiB`,
      )
      if (error !== undefined) break
    }
  } finally {
    await Promise.allSettled(clients.map((c) => c.stop()))
  }
  return out
}

export async function runRelayBench(
  opts: { bytes?: number; runs?: number; rampSteps?: number[] } = {},
): Promise<RelayBenchResult> {
  const bytes = opts.bytes ?? 64 * MIB
  const runs = opts.runs ?? 3
  const rampSteps = opts.rampSteps ?? [100, 250, 500, 1000]
  const limits = { MAX_CONNECTIONS_PER_IP: '5000', MAX_RESERVATIONS: '5000', MAX_CONNECTIONS: '5000' }
  const edge = await startEdge({ vars: { RELAY_SHARDS: '1', ...limits } })
  const nodeRelay = await startChild<{ addr: string }>('./node-relay.ts')
  const paths: PathResult[] = []
  let rampResult: RampStep[] = []
  try {
    const doc = parseBootstrapDocument(await (await fetch(`${edge.url}/v1/bootstrap`)).json())
    const shard = doc.relays.find((r) => r.shard === '0')
    const shardAddr = shard?.addrs[0]
    if (shard === undefined || shardAddr === undefined) throw new Error('bootstrap lists no shard 0')
    // wrangler dev runs two workerd processes: the first hosts the worker and its Durable Objects (its
    // RSS grows with reservations), the other is wrangler's local proxy in front of it
    const [workerd, ...devProxy] = findDescendants(edge.process.pid!, 'workerd')
    if (workerd === undefined) console.warn('bench: workerd process not found; edge CPU not measured')

    for (const [path, relayAddr, pid, proxyPids] of [
      ['edge-relay', shardAddr, workerd, devProxy],
      ['node-relay', nodeRelay.addr, nodeRelay.pid, []],
    ] as const) {
      const target = await startChild<{ peerId: string }>('./sink-peer.ts', [`${relayAddr}/p2p-circuit`])
      try {
        const circuit = `${relayAddr}/p2p-circuit/p2p/${target.peerId}`
        paths.push(await measurePath(path, circuit, pid, bytes, runs, [...proxyPids]))
      } finally {
        target.stop()
      }
      console.log(`  ${path}: ${paths.at(-1)?.mbPerSec} MB/s`)
    }
    const direct = await startChild<{ addrs: string[] }>('./sink-peer.ts', ['/ip4/127.0.0.1/tcp/0/ws'])
    try {
      paths.push(await measurePath('direct', direct.addrs[0]!, undefined, bytes, runs))
    } finally {
      direct.stop()
    }
    console.log(`  direct: ${paths.at(-1)?.mbPerSec} MB/s`)
    if (workerd !== undefined && rampSteps.length > 0) {
      rampResult = await ramp(shardAddr, workerd, rampSteps, `${edge.url}/metrics`, edge.output, () =>
        isolateHeap(edge.inspectorPort),
      )
    }
  } finally {
    nodeRelay.stop()
    await edge.stop()
  }
  const by = (p: PathResult['path']) => paths.find((x) => x.path === p)?.mbPerSec ?? Number.NaN
  return {
    bytes,
    paths,
    ratios: {
      edgeOverNodeRelay: round(by('edge-relay') / by('node-relay')),
      edgeOverDirect: round(by('edge-relay') / by('direct')),
      nodeRelayOverDirect: round(by('node-relay') / by('direct')),
    },
    ramp: rampResult,
  }
}

export function printRelayBench(r: RelayBenchResult): void {
  console.log(`\nRelay throughput, ${r.bytes / MIB} MiB one way, loopback (median of runs)`)
  console.table(
    r.paths.map((p) => ({
      path: p.path,
      'MB/s': p.mbPerSec,
      runs: p.runsMbPerSec.join(' / '),
      'relay CPU s / 64 MiB': p.relayCpuSecondsPer64MiB ?? '-',
      'dev proxy CPU s': p.devProxyCpuSecondsPer64MiB ?? '-',
      'machine busy': p.machineBusy,
      'dial→first byte ms': p.dialToFirstByteMs,
    })),
  )
  console.log(
    `ratios: edge/node-relay ${r.ratios.edgeOverNodeRelay}x, edge/direct ${r.ratios.edgeOverDirect}x, node-relay/direct ${r.ratios.nodeRelayOverDirect}x`,
  )
  if (r.ramp.length > 0) {
    console.log('\nIdle reservations held by one edge shard')
    console.table(r.ramp)
  }
}

if (import.meta.main) {
  const r = await runRelayBench()
  printRelayBench(r)
}

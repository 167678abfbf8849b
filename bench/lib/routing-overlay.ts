/**
 * The routing benchmark's overlay spread over worker processes (bench/routing-peer.ts): peer g lives in
 * worker g % procs, so every worker hosts an even share and consecutive indices sit in different
 * processes. One process for 200 peers measured that process (one core saturated, a 2.5 GB heap, 278 s
 * to start), not the DHT; with one worker per core both cores serve the peers.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Found, Provided, RoutingPeerCommand, Walked } from '../routing-peer.ts'
import { type JsonWorker, spawnJsonWorker } from './json-worker.ts'

/** Worker processes (`ROUTING_BENCH_PROCS`): by default one per core. */
export const ROUTING_BENCH_PROCS = Number(process.env.ROUTING_BENCH_PROCS ?? availableParallelism())

export interface BenchOverlay {
  size: number
  /** Peer IDs by global index. */
  ids: string[]
  pids: number[]
  tableSizes(): Promise<number[]>
  provide(g: number, cid: string): Promise<Provided>
  /** Ours: waits for the provide's DHT walk to end (null: not within 120 s). */
  walked(g: number, cid: string): Promise<Walked | null>
  find(g: number, cid: string, owner: number, via: 'routing' | 'dht'): Promise<Found | null>
  /** Blocks (or unblocks) the edge's routing API in every worker: the DHT alone answers. */
  block(on: boolean): Promise<void>
  stopPeers(gs: number[]): Promise<void>
  neighbours(): Promise<number[]>
  close(): Promise<void>
}

export async function startBenchOverlay(opts: {
  size: number
  edgeUrl: string
  stock: boolean
  procs?: number
  /** Ours: RoutingInit.provideDhtPeers. */
  provideDhtPeers?: number
  /** Peers each peer dials to join. @default 3 */
  joinVia?: number
}): Promise<BenchOverlay> {
  const procs = Math.max(1, Math.min(opts.procs ?? ROUTING_BENCH_PROCS, opts.size))
  const workers: JsonWorker<RoutingPeerCommand>[] = Array.from({ length: procs }, (_, w) =>
    spawnJsonWorker<RoutingPeerCommand, { event?: unknown }>(
      `routing-${w}`,
      join(import.meta.dirname, '..', 'routing-peer.ts'),
      { op: 'close' },
    ),
  )
  const close = async () => {
    await Promise.allSettled(workers.map((w) => w.close()))
  }
  const where = (g: number) => ({ w: workers[g % procs]!, i: Math.floor(g / procs) })
  try {
    const counts = workers.map((_, w) => Math.floor(opts.size / procs) + (w < opts.size % procs ? 1 : 0))
    const started = await Promise.all(
      workers.map((w, k) =>
        w.call<{ addr: string; id: string }[]>({
          op: 'start',
          count: counts[k]!,
          edgeUrl: opts.edgeUrl,
          stock: opts.stock,
          ...(opts.provideDhtPeers === undefined ? {} : { provideDhtPeers: opts.provideDhtPeers }),
        }),
      ),
    )
    const ids = Array.from({ length: opts.size }, (_, g) => started[g % procs]![Math.floor(g / procs)]!.id)
    const addrs = started.flat().map((p) => p.addr)
    await Promise.all(workers.map((w) => w.call({ op: 'join', addrs, want: opts.joinVia ?? 3 })))
    return {
      size: opts.size,
      ids,
      pids: workers.map((w) => w.pid ?? 0),
      tableSizes: async () => {
        const per = await Promise.all(workers.map((w) => w.call<number[]>({ op: 'tables' })))
        return per.flat()
      },
      provide: (g, cid) => where(g).w.call<Provided>({ op: 'provide', i: where(g).i, cid }),
      walked: (g, cid) => where(g).w.call<Walked | null>({ op: 'walked', cid }),
      find: (g, cid, owner, via) =>
        where(g).w.call<Found | null>({ op: 'find', i: where(g).i, cid, want: ids[owner]!, via }),
      block: async (on) => {
        await Promise.all(workers.map((w) => w.call({ op: 'block', on })))
      },
      stopPeers: async (gs) => {
        await Promise.all(
          workers.map((w, k) =>
            w.call({
              op: 'stop',
              indices: gs.filter((g) => g % procs === k).map((g) => Math.floor(g / procs)),
            }),
          ),
        )
      },
      neighbours: async () =>
        (await Promise.all(workers.map((w) => w.call<number[]>({ op: 'neighbours' })))).flat(),
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

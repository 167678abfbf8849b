/**
 * Routing benchmark: provide and lookup latency, hops and success under churn, for overlays of N peers
 * (default 50; `ROUTING_BENCH_SIZES=50,200` adds the issue's 200) on loopback against the real edge.
 * The peers live in `ROUTING_BENCH_PROCS` worker processes (default: one per core; bench/routing-peer.ts,
 * bench/lib/routing-overlay.ts), this process only coordinates:
 * - ours via the edge index (hybrid; first answer) and via the DHT alone (edge routing API blocked),
 * - ours, DHT alone, with 30% of the peers stopped,
 * - stock `@libp2p/kad-dht` defaults (own protocol `/ipfs/kad/1.0.0` on loopback only; the
 *   passthrough address mapper, since stock drops the loopback addresses every peer has here).
 * - a relay shard's cost of serving the DHT (heap and timers per DHT connection and per record),
 *   `ROUTING_BENCH_SHARD=0` skips it (bench/lib/shard-dht.ts).
 * Prints absolute numbers and ratios side by side, with the machine's load average (the bench shares
 * 2 cores). Run on its own: `node bench/routing.ts`.
 */

import { loadavg } from 'node:os'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { DEFAULT_NEIGHBOURS } from '#shared/defaults.ts'
import { startEdge } from '../test/helpers/edge.ts'
import { percentile, pool } from '../test/helpers/overlay.ts'
import { waitFor } from '../test/helpers/wait.ts'
import { type BenchOverlay, startBenchOverlay } from './lib/routing-overlay.ts'
import { shardDhtCost } from './lib/shard-dht.ts'

interface Lookups {
  n: number
  ok: number
  successRate: number
  p50Ms: number
  p99Ms: number
  hopsP50: number
  hopsMax: number
  sources?: Record<string, number>
  /** Indices (into the keys) of the lookups that found nothing. */
  missed?: number[]
}

/**
 * Provides and lookups in flight at once (`ROUTING_BENCH_CONCURRENCY`). When every peer shared one
 * process, 50 at once measured its CPU (hundreds of noise handshakes at ~25 ms each), not the lookup;
 * kept at 4 so runs stay comparable.
 */
const AT_ONCE = Number(process.env.ROUTING_BENCH_CONCURRENCY ?? 4)

async function cids(n: number, tag: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) =>
      CID.createV1(
        raw.code,
        await sha256.digest(new TextEncoder().encode(`${tag}-${i}-${Math.random()}`)),
      ).toString(),
    ),
  )
}

function summarise(results: ({ ms: number; hops: number; source?: string } | undefined)[]): Lookups {
  const ok = results.filter((r): r is { ms: number; hops: number; source?: string } => r !== undefined)
  const sources: Record<string, number> = {}
  for (const r of ok) if (r.source !== undefined) sources[r.source] = (sources[r.source] ?? 0) + 1
  return {
    n: results.length,
    ok: ok.length,
    successRate: ok.length / Math.max(1, results.length),
    p50Ms: percentile(
      ok.map((r) => r.ms),
      50,
    ),
    p99Ms: percentile(
      ok.map((r) => r.ms),
      99,
    ),
    hopsP50: percentile(
      ok.map((r) => r.hops),
      50,
    ),
    hopsMax: Math.max(...ok.map((r) => r.hops)),
    ...(Object.keys(sources).length > 0 ? { sources } : {}),
  }
}

async function lookups(
  o: BenchOverlay,
  keys: string[],
  owners: number[],
  live: number[],
  via: 'routing' | 'dht' = 'routing',
): Promise<Lookups> {
  const res = await pool(
    keys.map((cid, k) => ({ cid, k })),
    AT_ONCE,
    async ({ cid, k }) => {
      if (!live.includes(owners[k]!)) return null
      return (await o.find(live[(k * 7 + 3) % live.length]!, cid, owners[k]!, via)) ?? undefined
    },
  )
  const missed = res.flatMap((r, k) => (r === undefined ? [k] : []))
  return { ...summarise(res.filter((r) => r !== null)), missed }
}

/** Waits until every routing table holds 3 peers (kad-dht parks queries on an empty table). */
async function tablesFilled(o: BenchOverlay): Promise<void> {
  await waitFor(
    'every routing table holds at least 3 peers',
    async () => (await o.tableSizes()).every((s) => s >= 3),
    300_000,
    1_000,
  )
}

async function benchOurs(size: number, edgeUrl: string) {
  const t0 = Date.now()
  const provideDhtPeers = process.env.ROUTING_BENCH_PROVIDE_DHT_PEERS
  const o = await startBenchOverlay({
    size,
    edgeUrl,
    stock: false,
    ...(provideDhtPeers === undefined ? {} : { provideDhtPeers: Number(provideDhtPeers) }),
  })
  try {
    await tablesFilled(o)
    console.log(
      `  ours: ${size} peers in ${o.pids.length} processes up, routing tables >= 3 after ${Math.round((Date.now() - t0) / 1000)} s`,
    )
    const providers = Math.min(size, 50)
    const keys = await cids(providers, `ours-${size}`)
    const owners = keys.map((_, i) => Math.floor((i * size) / providers))
    // provide() returns once the edge stored the record (and the DHT, if its walk ends within the wait);
    // right then one other peer looks the CID up in the DHT alone (is it findable without the edge?);
    // the walk goes on in the background and each slot waits for it, so at most AT_ONCE walks run at once
    const provides = await pool(
      keys.map((cid, i) => ({ cid, i })),
      AT_ONCE,
      async ({ cid, i }) => {
        const r = await o.provide(owners[i]!, cid)
        const atReturn = await o.find((owners[i]! + 1) % size, cid, owners[i]!, 'dht')
        const walk = await o.walked(owners[i]!, cid)
        if (walk === null) console.warn(`  the DHT provide of ${cid} did not end within 120 s`)
        return { ...r, atReturn, walk }
      },
    )
    const all = Array.from({ length: size }, (_, i) => i)
    const hybrid = await lookups(o, keys, owners, all)
    await o.block(true)
    const dhtOnly = await lookups(o, keys, owners, all)
    const dead = new Set<number>()
    while (dead.size < Math.round(size * 0.3)) dead.add(Math.floor(Math.random() * size))
    await o.stopPeers([...dead])
    const live = all.filter((i) => !dead.has(i))
    const churn = await lookups(o, keys, owners, live)
    await o.block(false)
    // right after the lookups, their connections are still in the neighbour manager's grace; then the
    // counts once trimmed (every live peer within the target, or what is left after 120 s)
    const neighbours = await o.neighbours()
    const settleStart = Date.now()
    let settled = neighbours
    while (settled.some((c) => c > DEFAULT_NEIGHBOURS) && Date.now() - settleStart < 120_000) {
      await new Promise((r) => setTimeout(r, 2_000))
      settled = await o.neighbours()
    }
    const settleMs = Date.now() - settleStart
    const walks = provides.flatMap((p) => (p.walk === null ? [] : [p.walk]))
    // the walks of the records the DHT alone missed, beside the provider's table at every walk's end
    const walkOf = (k: number) => provides[k]?.walk ?? undefined
    const tables = walks.flatMap((w) => (w.table === undefined ? [] : [w.table]))
    console.log(
      `  provider tables at the walks' end: p50 ${fmt(percentile(tables, 50))}, min ${fmt(Math.min(...tables))}, max ${fmt(Math.max(...tables))}`,
    )
    for (const [what, l] of [
      ['DHT alone', dhtOnly],
      ['30% stopped', churn],
    ] as const) {
      for (const k of l.missed ?? []) {
        const w = walkOf(k)
        console.log(
          `  ${what} missed key ${k} (provided ${k + 1}th): its walk ${w === undefined ? 'did not end' : `ended with the provider's table at ${w.table ?? '?'}, ${w.dhtPeers} acknowledgements, ${w.requests?.asked ?? '?'} asked`}`,
        )
      }
    }
    return {
      provide: {
        p50Ms: percentile(
          provides.map((p) => p.ms),
          50,
        ),
        p99Ms: percentile(
          provides.map((p) => p.ms),
          99,
        ),
        edge: provides.filter((p) => p.stored.includes('edge')).length,
        dht: provides.filter((p) => p.stored.includes('dht')).length,
        dhtWalkP50Ms: percentile(
          walks.map((w) => w.walkMs),
          50,
        ),
        edgeP50Ms: percentile(
          provides.flatMap((p) => (p.edgeMs === undefined ? [] : [p.edgeMs])),
          50,
        ),
        dhtLookupP50Ms: percentile(
          walks.flatMap((w) => (w.lookupMs === undefined ? [] : [w.lookupMs])),
          50,
        ),
        dhtThirdAckP50Ms: percentile(
          walks.flatMap((w) => (w.thirdAckMs === undefined ? [] : [w.thirdAckMs])),
          50,
        ),
        dhtWalkPeersP50: percentile(
          walks.map((w) => w.dhtPeers),
          50,
        ),
        // the walks' FIND_NODE requests (p50 of each walk's count; the errors seen, most frequent first)
        walkRequests: (() => {
          const req = walks.flatMap((w) => (w.requests === undefined ? [] : [w.requests]))
          const errors = new Map<string, number>()
          for (const r of req) for (const e of r.errors) errors.set(e, (errors.get(e) ?? 0) + 1)
          return {
            askedP50: percentile(
              req.map((r) => r.asked),
              50,
            ),
            failedP50: percentile(
              req.map((r) => r.failed + r.unanswered),
              50,
            ),
            slowestP50Ms: percentile(
              req.map((r) => r.slowestMs),
              50,
            ),
            errors: [...errors].sort((a, b) => b[1] - a[1]).slice(0, 3),
          }
        })(),
        // optimistic provide: p50 per walk of the network-size estimate, records sent early, stored early
        optimistic: (() => {
          const o = walks.flatMap((w) => (w.optimistic === undefined ? [] : [w.optimistic]))
          const p50 = (xs: number[]) => percentile(xs, 50)
          return {
            networkEstimateP50: p50(
              o.flatMap((x) => (x.networkEstimate === undefined ? [] : [x.networkEstimate])),
            ),
            sentP50: p50(o.map((x) => x.sent)),
            ackedP50: p50(o.map((x) => x.acked)),
          }
        })(),
        dhtFoundAtReturn: provides.filter((p) => p.atReturn !== null).length,
        // the provides that returned with the DHT's acknowledgements (the others ran out of the wait)
        dhtStoredAtReturn: provides.filter((p) => p.stored.includes('dht')).length,
        dhtFoundAtReturnOfStored: provides.filter((p) => p.stored.includes('dht') && p.atReturn !== null)
          .length,
        n: provides.length,
      },
      hybrid,
      dhtOnly,
      dhtOnlyChurn30: churn,
      neighbours: {
        max: Math.max(...neighbours),
        p50: percentile(neighbours, 50),
        settled: { max: Math.max(...settled), p50: percentile(settled, 50), afterMs: settleMs },
      },
    }
  } finally {
    await o.close()
  }
}

async function benchStock(size: number) {
  const o = await startBenchOverlay({ size, edgeUrl: '', stock: true })
  try {
    await tablesFilled(o)
    const providers = Math.min(size, 50)
    const keys = await cids(providers, `stock-${size}`)
    const owners = keys.map((_, i) => Math.floor((i * size) / providers))
    const provideMs = await pool(
      keys.map((cid, i) => ({ cid, i })),
      AT_ONCE,
      async ({ cid, i }) => (await o.provide(owners[i]!, cid)).ms,
    )
    const all = Array.from({ length: size }, (_, i) => i)
    return {
      provide: { p50Ms: percentile(provideMs, 50), p99Ms: percentile(provideMs, 99) },
      dhtOnly: await lookups(o, keys, owners, all, 'dht'),
    }
  } finally {
    await o.close()
  }
}

const fmt = (x: number | undefined, d = 0) =>
  x === undefined || Number.isNaN(x) ? '-' : d === 0 ? String(Math.round(x)) : x.toFixed(d)

/** One table per size: rows are measures, columns the setups; then the ratios. */
function printTable(
  size: number,
  r: Awaited<ReturnType<typeof benchOurs>>,
  st: Awaited<ReturnType<typeof benchStock>>,
): void {
  const cols = [
    ['ours: edge+DHT', r.hybrid],
    ['ours: DHT alone', r.dhtOnly],
    ['ours: DHT, 30% stopped', r.dhtOnlyChurn30],
    ['stock kad-dht', st.dhtOnly],
  ] as const
  const row = (name: string, f: (l: Lookups) => string) =>
    `  ${name.padEnd(18)}${cols.map(([, l]) => f(l).padStart(24)).join('')}`
  console.log(
    `\nrouting, ${size} peers (load avg ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  )
  console.log(`  ${''.padEnd(18)}${cols.map(([n]) => n.padStart(24)).join('')}`)
  console.log(row('lookup p50 ms', (l) => fmt(l.p50Ms)))
  console.log(row('lookup p99 ms', (l) => fmt(l.p99Ms)))
  console.log(row('hops p50 / max', (l) => `${fmt(l.hopsP50)} / ${fmt(l.hopsMax)}`))
  console.log(row('found', (l) => `${l.ok}/${l.n} (${fmt(l.successRate * 100, 1)}%)`))
  console.log(
    `  ${'provide p50/p99 ms'.padEnd(18)}${`${fmt(r.provide.p50Ms)} / ${fmt(r.provide.p99Ms)} (edge ${r.provide.edge}, dht ${r.provide.dht})`.padStart(48)}${''.padStart(24)}${`${fmt(st.provide.p50Ms)} / ${fmt(st.provide.p99Ms)}`.padStart(24)}`,
  )
  console.log(
    `  provide p50s: edge stored ${fmt(r.provide.edgeP50Ms)} ms; DHT walk to the closest peers ${fmt(r.provide.dhtLookupP50Ms)} ms, 3rd acknowledgement ${fmt(r.provide.dhtThirdAckP50Ms)} ms, all stored ${fmt(r.provide.dhtWalkP50Ms)} ms (${fmt(r.provide.dhtWalkPeersP50)} peers)`,
  )
  const op = r.provide.optimistic
  console.log(
    `  optimistic provide (p50 per walk): network size estimated at ${fmt(op.networkEstimateP50)} peers, record sent early to ${fmt(op.sentP50)} peers the walk met, stored by ${fmt(op.ackedP50)}`,
  )
  const wr = r.provide.walkRequests
  console.log(
    `  the walks' FIND_NODE requests (p50 per walk): ${fmt(wr.askedP50)} asked, ${fmt(wr.failedP50)} failed or unanswered, the slowest ${fmt(wr.slowestP50Ms)} ms${wr.errors.length === 0 ? '' : `; errors: ${wr.errors.map(([e, n]) => `${n}x ${e}`).join('; ')}`}`,
  )
  console.log(
    `  found in the DHT alone right after provide() returned: ${r.provide.dhtFoundAtReturn}/${r.provide.n}; of those returned with DHT acknowledgements ${r.provide.dhtFoundAtReturnOfStored}/${r.provide.dhtStoredAtReturn}`,
  )
  const ns = r.neighbours.settled
  console.log(
    `  neighbours per peer (target ${DEFAULT_NEIGHBOURS}): right after the lookups p50 ${r.neighbours.p50}, max ${r.neighbours.max}; ${fmt(ns.afterMs / 1000)} s later p50 ${ns.p50}, max ${ns.max}`,
  )
}

export async function runRoutingBench() {
  const sizes = (process.env.ROUTING_BENCH_SIZES ?? '50').split(',').map(Number)
  const edge = await startEdge({ vars: { RELAY_SHARDS: '1', NETWORK_NAME: 'routing-bench' } })
  const out: Record<string, unknown> = {}
  try {
    for (const size of sizes) {
      const ours = await benchOurs(size, edge.url)
      // printed at once: the stock overlay of the same size takes minutes more to start
      console.log(`  ours, ${size} peers: ${JSON.stringify(ours)}`)
      const stock = await benchStock(size)
      out[`peers${size}`] = {
        ours,
        stock,
        ratios: {
          dhtP50OursOverStock: ours.dhtOnly.p50Ms / stock.dhtOnly.p50Ms,
          hybridP50OverStockDht: ours.hybrid.p50Ms / stock.dhtOnly.p50Ms,
          provideP50OursOverStock: ours.provide.p50Ms / stock.provide.p50Ms,
        },
      }
      printTable(size, ours, stock)
      console.log('  ratios', JSON.stringify((out[`peers${size}`] as { ratios: unknown }).ratios))
    }
  } finally {
    await edge.stop()
  }
  if (process.env.ROUTING_BENCH_SHARD !== '0') {
    const shard = await shardDhtCost(Number(process.env.ROUTING_BENCH_SHARD_PEERS ?? 50), 20)
    out.shardDht = shard
    console.log(
      `\nrelay shard as DHT server (load avg ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')})`,
    )
    for (const [mode, steps] of [
      ['RELAY_DHT=off', shard.off],
      ['RELAY_DHT=on', shard.on],
    ] as const) {
      for (const st of steps) {
        console.log(
          `  ${mode.padEnd(14)} ${st.step.padEnd(26)} heap ${fmt(st.heapUsedMiB ?? undefined, 1)} MiB  workerd RSS ${fmt(st.rssMiB, 1)} MiB  timers ${st.timers}`,
        )
      }
    }
    console.log(
      `  per DHT connection: +${fmt(shard.perDhtConnection.heapKiB ?? undefined, 1)} KiB heap, +${shard.perDhtConnection.timers} timers; per record: +${shard.perRecord.heapBytes ?? '-'} B heap, +${shard.perRecord.timers} timers`,
    )
  }
  return out
}

if (import.meta.main) {
  const r = await runRoutingBench()
  console.log(JSON.stringify(r, null, 2))
  process.exit(0)
}

/**
 * Routing benchmark: provide and lookup latency, hops and success under churn, for in-process overlays
 * of N peers (default 50; `ROUTING_BENCH_SIZES=50,200` adds the issue's 200, which takes ~15 min to
 * start on a loaded 2-core machine) on loopback against the real edge:
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
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { kadRoutingTableOf } from '../shared/src/libp2p-compat/kad-routing-table.ts'
import { HopCounter } from '../shared/src/services/routing/dht.ts'
import { startEdge } from '../test/helpers/edge.ts'
import { type Overlay, percentile, pool, startOverlay } from '../test/helpers/overlay.ts'
import { waitFor } from '../test/helpers/wait.ts'
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
}

/**
 * Provides and lookups in flight at once (`ROUTING_BENCH_CONCURRENCY`). Every peer shares this process:
 * 50 at once measured the process's CPU (hundreds of noise handshakes at ~25 ms each), not the lookup.
 */
const AT_ONCE = Number(process.env.ROUTING_BENCH_CONCURRENCY ?? 4)

let blocked = false
const blockable: typeof fetch = async (input, init) => {
  if (blocked && String(input).includes('/routing')) throw new TypeError('routing API blocked by the bench')
  return fetch(input, init)
}

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

async function oursLookups(o: Overlay, keys: string[], owners: number[], live: number[]): Promise<Lookups> {
  const res = await pool(
    keys.map((cid, k) => ({ cid, k })),
    AT_ONCE,
    async ({ cid, k }) => {
      if (!live.includes(owners[k]!)) return null
      const from = o.nodes[live[(k * 7 + 3) % live.length]!]!
      const want = o.nodes[owners[k]!]!.node.peerId.toString()
      for await (const p of from.routing.findProviders(cid, { signal: AbortSignal.timeout(30_000) })) {
        if (p.peerId === want) return p
      }
      return undefined
    },
  )
  return summarise(res.filter((r) => r !== null))
}

/** Waits until every routing table holds 3 peers (kad-dht parks queries on an empty table). */
async function tablesFilled(
  o: Overlay,
  size: (n: Overlay['nodes'][number]) => number | Promise<number> = async (n) =>
    (await n.routing.status()).routingTableSize,
): Promise<void> {
  await waitFor(
    'every routing table holds at least 3 peers',
    async () => (await Promise.all(o.nodes.map(size))).every((s) => s >= 3),
    300_000,
    1_000,
  )
}

async function benchOurs(size: number, edgeUrl: string) {
  const t0 = Date.now()
  const o = await startOverlay({ size, edgeUrl, routing: { fetch: blockable } })
  try {
    await tablesFilled(o)
    console.log(
      `  ours: ${size} peers up, routing tables >= 3 after ${Math.round((Date.now() - t0) / 1000)} s`,
    )
    const providers = Math.min(size, 50)
    const keys = await cids(providers, `ours-${size}`)
    const owners = keys.map((_, i) => Math.floor((i * size) / providers))
    // provide() returns once the edge stored the record (and the DHT, if its walk ends within 2 s); the
    // walk goes on in the background: each slot waits for it, so at most AT_ONCE walks share the process
    const dhtProvideMs: number[] = []
    const provides = await pool(
      keys.map((cid, i) => ({ cid, i })),
      AT_ONCE,
      async ({ cid, i }) => {
        const n = o.nodes[owners[i]!]!
        const t = Date.now()
        const r = await n.routing.provide(cid)
        await waitFor(
          'the DHT provide finished',
          () => n.events.includes('routing.dht-provided'),
          120_000,
          100,
        )
          .then(() => dhtProvideMs.push(Date.now() - t))
          .catch((err: unknown) => console.warn(`  ${(err as Error).message}`))
        return r
      },
    )
    const all = o.nodes.map((_, i) => i)
    const hybrid = await oursLookups(o, keys, owners, all)
    blocked = true
    const dhtOnly = await oursLookups(o, keys, owners, all)
    const dead = new Set<number>()
    while (dead.size < Math.round(size * 0.3)) dead.add(Math.floor(Math.random() * size))
    await Promise.all([...dead].map((i) => o.nodes[i]!.stop()))
    const live = all.filter((i) => !dead.has(i))
    const churn = await oursLookups(o, keys, owners, live)
    blocked = false
    const neighbours = await Promise.all(
      o.live().map(async (n) => (await n.routing.status()).neighbours.length),
    )
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
        dhtWalkP50Ms: percentile(dhtProvideMs, 50),
      },
      hybrid,
      dhtOnly,
      dhtOnlyChurn30: churn,
      neighbours: { max: Math.max(...neighbours), p50: percentile(neighbours, 50) },
    }
  } finally {
    blocked = false
    await o.stop()
  }
}

async function benchStock(size: number) {
  const o = await startOverlay({
    size,
    edgeUrl: '',
    services: () => [],
    libp2pServices: () => ({ dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }) }),
  })
  try {
    await tablesFilled(o, (n) => kadRoutingTableOf(n.node.services.dht as KadDHT).size)
    const providers = Math.min(size, 50)
    const keys = await cids(providers, `stock-${size}`)
    const owners = keys.map((_, i) => Math.floor((i * size) / providers))
    const dht = (i: number) => o.nodes[i]!.node.services.dht as KadDHT
    const provideMs = await pool(
      keys.map((cid, i) => ({ cid, i })),
      AT_ONCE,
      async ({ cid, i }) => {
        const t = Date.now()
        for await (const _ of dht(owners[i]!).provide(CID.parse(cid), {
          signal: AbortSignal.timeout(60_000),
        })) {
          // drain
        }
        return Date.now() - t
      },
    )
    const lookups = await pool(
      keys.map((cid, k) => ({ cid, k })),
      AT_ONCE,
      async ({ cid, k }) => {
        const from = (k * 7 + 3) % size
        const hops = new HopCounter(o.nodes[from]!.node.peerId)
        const t = Date.now()
        for await (const ev of dht(from).findProviders(CID.parse(cid), {
          signal: AbortSignal.timeout(30_000),
        })) {
          hops.see(ev)
          if (
            ev.name === 'PROVIDER' &&
            ev.providers.some((p) => p.id.equals(o.nodes[owners[k]!]!.node.peerId))
          ) {
            return { ms: Date.now() - t, hops: hops.of(ev.from) }
          }
        }
        return undefined
      },
    )
    return {
      provide: { p50Ms: percentile(provideMs, 50), p99Ms: percentile(provideMs, 99) },
      dhtOnly: summarise(lookups),
    }
  } finally {
    await o.stop()
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
    `  ${'provide p50/p99 ms'.padEnd(18)}${`${fmt(r.provide.p50Ms)} / ${fmt(r.provide.p99Ms)} (edge ${r.provide.edge}, dht ${r.provide.dht}, DHT walk p50 ${fmt(r.provide.dhtWalkP50Ms)})`.padStart(48)}${''.padStart(24)}${`${fmt(st.provide.p50Ms)} / ${fmt(st.provide.p99Ms)}`.padStart(24)}`,
  )
  console.log(`  neighbours per peer: p50 ${r.neighbours.p50}, max ${r.neighbours.max} (target 24)`)
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

/**
 * Routing benchmark: provide and lookup latency, hops and success under churn, for in-process overlays
 * of N peers (default 50 and 200; `ROUTING_BENCH_SIZES=20,50`) on loopback against the real edge:
 * - ours via the edge index (hybrid; first answer) and via the DHT alone (edge routing API blocked),
 * - ours, DHT alone, with 30% of the peers stopped,
 * - stock `@libp2p/kad-dht` defaults (own protocol `/ipfs/kad/1.0.0` on loopback only; the
 *   passthrough address mapper, since stock drops the loopback addresses every peer has here).
 * Prints absolute numbers and ratios. Run on its own: `node bench/routing.ts`.
 */
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { HopCounter } from '../shared/src/services/routing/dht.ts'
import { startEdge } from '../test/helpers/edge.ts'
import { type Overlay, percentile, startOverlay } from '../test/helpers/overlay.ts'

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
  const res = await Promise.all(
    keys.map(async (cid, k) => {
      if (!live.includes(owners[k]!)) return null
      const from = o.nodes[live[(k * 7 + 3) % live.length]!]!
      const want = o.nodes[owners[k]!]!.node.peerId.toString()
      for await (const p of from.routing.findProviders(cid, { signal: AbortSignal.timeout(30_000) })) {
        if (p.peerId === want) return p
      }
      return undefined
    }),
  )
  return summarise(res.filter((r) => r !== null))
}

async function benchOurs(size: number, edgeUrl: string) {
  const o = await startOverlay({ size, edgeUrl, routing: { fetch: blockable } })
  try {
    await new Promise((r) => setTimeout(r, 5_000))
    const providers = Math.min(size, 50)
    const keys = await cids(providers, `ours-${size}`)
    const owners = keys.map((_, i) => Math.floor((i * size) / providers))
    const provides = await Promise.all(keys.map((cid, i) => o.nodes[owners[i]!]!.routing.provide(cid)))
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
    await new Promise((r) => setTimeout(r, 5_000))
    const providers = Math.min(size, 50)
    const keys = await cids(providers, `stock-${size}`)
    const owners = keys.map((_, i) => Math.floor((i * size) / providers))
    const dht = (i: number) => o.nodes[i]!.node.services.dht as KadDHT
    const provideMs = await Promise.all(
      keys.map(async (cid, i) => {
        const t = Date.now()
        for await (const _ of dht(owners[i]!).provide(CID.parse(cid), {
          signal: AbortSignal.timeout(60_000),
        })) {
          // drain
        }
        return Date.now() - t
      }),
    )
    const lookups = await Promise.all(
      keys.map(async (cid, k) => {
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
      }),
    )
    return {
      provide: { p50Ms: percentile(provideMs, 50), p99Ms: percentile(provideMs, 99) },
      dhtOnly: summarise(lookups),
    }
  } finally {
    await o.stop()
  }
}

export async function runRoutingBench() {
  const sizes = (process.env.ROUTING_BENCH_SIZES ?? '50,200').split(',').map(Number)
  const edge = await startEdge({ vars: { RELAY_SHARDS: '1', NETWORK_NAME: 'routing-bench' } })
  const out: Record<string, unknown> = {}
  try {
    for (const size of sizes) {
      const ours = await benchOurs(size, edge.url)
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
      console.log(`routing ${size} peers`, JSON.stringify(out[`peers${size}`]))
    }
  } finally {
    await edge.stop()
  }
  return out
}

if (import.meta.main) {
  const r = await runRoutingBench()
  console.log(JSON.stringify(r, null, 2))
  process.exit(0)
}

/**
 * A worker process of the routing benchmark (bench/routing.ts): hosts a share of one overlay's peers
 * (test/helpers/overlay.ts, each built like a home node's) and runs provides and lookups from them on
 * command (JSON lines on stdin/stdout, bench/lib/json-worker.ts). Peers are addressed by their index
 * in this worker; they join peers of every worker over loopback TCP.
 */
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { CID } from 'multiformats/cid'
import { kadRoutingTableOf } from '#shared/libp2p-compat/kad-routing-table.ts'
import { dhtProviders, HopCounter } from '#shared/services/routing/dht.ts'
import {
  joinAddrs,
  type OverlayNode,
  type OverlayOptions,
  pool,
  startOverlayNode,
} from '../test/helpers/overlay.ts'
import { waitFor } from '../test/helpers/wait.ts'
import { serveJsonCommands } from './lib/json-worker.ts'

export type RoutingPeerCommand =
  | { op: 'start'; count: number; edgeUrl: string; stock: boolean; provideDhtPeers?: number }
  | { op: 'join'; addrs: string[]; want: number }
  | { op: 'tables' }
  | { op: 'provide'; i: number; cid: string }
  | { op: 'walked'; cid: string }
  | { op: 'find'; i: number; cid: string; want: string; via: 'routing' | 'dht' }
  | { op: 'block'; on: boolean }
  | { op: 'stop'; indices: number[] }
  | { op: 'neighbours' }
  | { op: 'close' }

export interface Found {
  ms: number
  hops: number
  source?: string
}

export interface Provided {
  /** What provide() took (ours) or the whole kad-dht provide (stock). */
  ms: number
  stored: string[]
  /** Ours: until the edge answered the announcement. */
  edgeMs?: number
}

/** Ours: the DHT walk of a provide (`routing.dht-provided`; it goes on after provide() returns). */
export interface Walked {
  /** From the provide's start to the walk's end. */
  walkMs: number
  /** Peers that acknowledged ADD_PROVIDER. */
  dhtPeers: number
  /** From the walk's start to its end (the closest peers known), and to the third acknowledgement. */
  lookupMs?: number
  thirdAckMs?: number
  /** The provider's routing table size when the walk ended. */
  table?: number
  /** Optimistic provide: our estimate of the network's size, records sent to peers the walk met, stored. */
  optimistic?: { networkEstimate?: number; sent: number; acked: number }
  /** The walk's FIND_NODE requests: asked, answered, failed, never answered, the slowest, error texts. */
  requests?: {
    asked: number
    answered: number
    failed: number
    unanswered: number
    slowestMs: number
    errors: string[]
  }
}

let blocked = false
const blockable: typeof fetch = async (input, init) => {
  if (blocked && String(input).includes('/routing')) throw new TypeError('routing API blocked by the bench')
  return fetch(input, init)
}

let stock = false
let nodes: OverlayNode[] = []
/** `routing.dht-provided` events per CID, with the time they came (the walk's end). */
const walked = new Map<string, { at: number; fields: Record<string, unknown> }>()
/** `routing.provided` fields per CID. */
const provided = new Map<string, Record<string, unknown>>()

const dht = (i: number) => nodes[i]!.node.services.dht as KadDHT

async function start(
  count: number,
  edgeUrl: string,
  provideDhtPeers?: number,
): Promise<{ addr: string; id: string }[]> {
  const opts: OverlayOptions = stock
    ? {
        size: count,
        edgeUrl: '',
        services: () => [],
        libp2pServices: () => ({ dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }) }),
      }
    : {
        size: count,
        edgeUrl,
        routing: { fetch: blockable, ...(provideDhtPeers === undefined ? {} : { provideDhtPeers }) },
        onEvent: (name, fields) => {
          if (name === 'routing.dht-provided') walked.set(String(fields.cid), { at: Date.now(), fields })
          if (name === 'routing.provided') provided.set(String(fields.cid), fields)
        },
      }
  nodes = await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    () => startOverlayNode(opts),
  )
  return nodes.map((n) => ({ addr: n.node.getMultiaddrs()[0]!.toString(), id: n.node.peerId.toString() }))
}

/** When each provide started (ours), for its walk's time. */
const provideStart = new Map<string, number>()

async function provide(i: number, cid: string): Promise<Provided> {
  const t = Date.now()
  if (stock) {
    for await (const _ of dht(i).provide(CID.parse(cid), { signal: AbortSignal.timeout(60_000) })) {
      // drain
    }
    return { ms: Date.now() - t, stored: ['dht'] }
  }
  provideStart.set(CID.parse(cid).toString(), t)
  const r = await nodes[i]!.routing.provide(cid)
  const edgeMs = provided.get(r.cid)?.edgeMs
  return { ms: r.ms, stored: r.stored, ...(typeof edgeMs === 'number' ? { edgeMs } : {}) }
}

async function walkedOf(cid: string): Promise<Walked | null> {
  const key = CID.parse(cid).toString()
  try {
    await waitFor('the DHT provide finished', () => walked.has(key), 120_000, 20)
  } catch {
    return null
  }
  const w = walked.get(key)!
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined)
  return {
    walkMs: w.at - (provideStart.get(key) ?? w.at),
    dhtPeers: Number(w.fields.peers),
    lookupMs: num(w.fields.lookupMs),
    thirdAckMs: num(w.fields.thirdAckMs),
    ...(typeof w.fields.table === 'number' ? { table: w.fields.table } : {}),
    ...(w.fields.walk === undefined ? {} : { requests: w.fields.walk as NonNullable<Walked['requests']> }),
    ...(w.fields.optimistic === undefined
      ? {}
      : { optimistic: w.fields.optimistic as NonNullable<Walked['optimistic']> }),
  }
}

/** A lookup that ran out of its 30 s found nothing (kad-dht's own queries throw when their signal fires). */
async function find(i: number, cid: string, want: string, via: 'routing' | 'dht'): Promise<Found | null> {
  const signal = AbortSignal.timeout(30_000)
  try {
    return await findWithin(i, cid, want, via, signal)
  } catch (err) {
    if (signal.aborted) return null
    throw err
  }
}

async function findWithin(
  i: number,
  cid: string,
  want: string,
  via: 'routing' | 'dht',
  signal: AbortSignal,
): Promise<Found | null> {
  const n = nodes[i]!
  if (!stock && via === 'routing') {
    const got: string[] = []
    for await (const p of n.routing.findProviders(cid, { signal })) {
      if (p.peerId === want) return { ms: p.ms, hops: p.hops, source: p.source }
      got.push(`${p.peerId.slice(-6)}@${p.source}`)
    }
    // a miss: what the lookup had, and what kad-dht's own query says at once after it
    const stats = { responses: 0, errors: new Map<string, number>(), providers: 0, found: false }
    try {
      for await (const ev of dht(i).findProviders(CID.parse(cid), { signal: AbortSignal.timeout(30_000) })) {
        if (ev.name === 'PEER_RESPONSE') stats.responses++
        if (ev.name === 'QUERY_ERROR') {
          const e = ev.error.message.split('\n')[0]!.slice(0, 80)
          stats.errors.set(e, (stats.errors.get(e) ?? 0) + 1)
        }
        if (ev.name === 'PROVIDER') {
          stats.providers += ev.providers.length
          stats.found ||= ev.providers.some((p) => p.id.toString() === want)
        }
      }
    } catch (err) {
      stats.errors.set(`query threw: ${(err as Error).message}`, 1)
    }
    console.error(
      `[bench] miss ${cid.slice(-8)} at peer ${i} (table ${kadRoutingTableOf(dht(i)).size}, got [${got.join(' ')}]): ` +
        `a second kad-dht query ${stats.found ? 'found it' : 'did not'}, ${stats.responses} responses, ` +
        `${stats.providers} providers, errors ${JSON.stringify([...stats.errors])}`,
    )
    return null
  }
  if (!stock) {
    // the overlay DHT straight, without the edge (used right after a provide returns)
    const start = Date.now()
    for await (const p of dhtProviders(dht(i), CID.parse(cid), n.node.peerId, { start, signal })) {
      if (p.peerId === want) return { ms: p.ms, hops: p.hops }
    }
    return null
  }
  const hops = new HopCounter(n.node.peerId)
  const t = Date.now()
  for await (const ev of dht(i).findProviders(CID.parse(cid), { signal })) {
    hops.see(ev)
    if (ev.name === 'PROVIDER' && ev.providers.some((p) => p.id.toString() === want)) {
      return { ms: Date.now() - t, hops: hops.of(ev.from) }
    }
  }
  return null
}

async function handle(cmd: RoutingPeerCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'start':
      stock = cmd.stock
      return start(cmd.count, cmd.edgeUrl, cmd.provideDhtPeers)
    case 'join': {
      // each node dials `want` random peers of the whole overlay (every worker's), as a bootstrap list would
      await pool(nodes, 8, (n) => {
        const own = n.node.getMultiaddrs()[0]!.toString()
        return joinAddrs(
          n,
          cmd.addrs.filter((a) => a !== own),
          cmd.want,
          own,
        )
      })
      return null
    }
    case 'tables':
      return Promise.all(
        nodes.map(async (n) =>
          stock
            ? kadRoutingTableOf(n.node.services.dht as KadDHT).size
            : (await n.routing.status()).routingTableSize,
        ),
      )
    case 'provide':
      return provide(cmd.i, cmd.cid)
    case 'walked':
      return walkedOf(cmd.cid)
    case 'find':
      return find(cmd.i, cmd.cid, cmd.want, cmd.via)
    case 'block':
      blocked = cmd.on
      return null
    case 'stop':
      await Promise.all(cmd.indices.map((i) => nodes[i]!.stop()))
      return null
    case 'neighbours':
      return Promise.all(
        nodes.filter((n) => !n.stopped).map(async (n) => (await n.routing.status()).neighbours.length),
      )
    case 'close':
      await Promise.allSettled(nodes.map((n) => n.stop()))
      return null
  }
}

serveJsonCommands(handle, (cmd) => cmd.op === 'close')

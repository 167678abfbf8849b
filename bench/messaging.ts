/**
 * Messaging benchmark: one topic, N subscribers (in-process, relay-only js-libp2p peers on the real
 * edge, several per process), 1 KB messages at R per second for S seconds, GossipSub with our settings
 * side by side with floodsub on the same peers and the same random topology (each peer dials K others'
 * circuit addresses), then GossipSub with a share of the peers leaving and joining, then the time an
 * offline recipient takes to get a mailbox message after it returns.
 *
 * Reports delivery ratio, latency p50/p99 (publish → receipt, one clock), copies per message per peer
 * (every RPC message a peer received, duplicates included, counted from the stream), edge CPU seconds
 * and edge bytes per message (from /metrics). Every peer here is relay-only, so all pub/sub bytes cross
 * the edge: this measures the worst case, not the direct-path case.
 *
 * ```sh
 * node bench/messaging.ts                                  # defaults of the issue: 100 peers, 10/s, 60 s
 * BENCH_MSG_PEERS=30 BENCH_MSG_SECONDS=20 node bench/messaging.ts
 * ```
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { floodsub } from '@libp2p/floodsub'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { FaultTolerance, type Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { allowHttpPath } from '../shared/src/http-path.ts'
import { memoryStorage } from '../shared/src/peer/storage.ts'
import {
  type GossipInternals,
  gossipOptions,
  scoreTopic,
} from '../shared/src/services/messaging/gossip-options.ts'
import { readBootstrap } from '../shared/src/services/messaging/topic-peers.ts'
import type { Messages } from '../shared/src/services/messaging/types.ts'
import { startEdge } from '../test/helpers/edge.ts'
import { installNodeWebSocket } from '../test/helpers/peers.ts'
import { startServicePeer } from '../test/helpers/service-peer.ts'
import { waitFor } from '../test/helpers/wait.ts'
import { cpuSeconds, findDescendants } from './lib/proc.ts'

installNodeWebSocket()

const TOPIC = 'bench'
const env = (k: string, d: number) => Number(process.env[k] ?? d)

export interface MessagingBenchOptions {
  peers: number
  ratePerSecond: number
  seconds: number
  /** Random peers each peer dials. */
  degree: number
  /** Share of peers replaced per minute in the churn run. */
  churnPerMinute: number
  messageBytes: number
}

interface Bus {
  subscribe(t: string): void
  publish(t: string, d: Uint8Array): Promise<unknown>
  addEventListener(e: 'message', h: (e: CustomEvent<{ topic: string; data: Uint8Array }>) => void): void
  getSubscribers(t: string): unknown[]
}

type Router = 'gossipsub' | 'floodsub'

interface BenchPeer {
  node: Libp2p
  bus: Bus
  /** message id -> receive time. */
  got: Map<string, number>
  /** pub/sub messages of the topic arriving on any stream, duplicates included. */
  copies: number
}

async function makePeer(router: Router, relayAddr: string): Promise<BenchPeer> {
  const node = (await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [`${relayAddr}/p2p-circuit`] },
    transports: [
      allowHttpPath(webSockets()),
      allowHttpPath(circuitRelayTransport({ reservationCompletionTimeout: 30_000 })),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
    connectionManager: { maxConnections: 256 },
    services: {
      identify: identify(),
      pubsub:
        router === 'gossipsub'
          ? gossipsub(gossipOptions())
          : floodsub({ runOnLimitedConnection: true } as never),
    },
  })) as unknown as Libp2p<{ pubsub: Bus }>
  const bus = node.services.pubsub
  if (router === 'gossipsub') scoreTopic(bus as unknown as GossipInternals, TOPIC)
  const peer: BenchPeer = { node, bus, got: new Map(), copies: 0 }
  bus.addEventListener('message', (e) => {
    if (e.detail.topic !== TOPIC) return
    const id = new TextDecoder().decode(e.detail.data.subarray(0, 36))
    if (!peer.got.has(id)) peer.got.set(id, Date.now())
  })
  // copies: count every RPC message for the topic, before de-duplication
  const inner = bus as unknown as {
    handleReceivedRpc?: (from: unknown, rpc: { messages?: Array<{ topic?: string }> }) => unknown
  }
  const orig = inner.handleReceivedRpc?.bind(inner)
  if (orig !== undefined) {
    inner.handleReceivedRpc = (from, rpc) => {
      peer.copies += (rpc.messages ?? []).filter((m) => m.topic === TOPIC).length
      return orig(from, rpc)
    }
  }
  bus.subscribe(TOPIC)
  await waitFor(
    'reservation',
    () => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')),
    30_000,
  )
  return peer
}

const circuitOf = (p: BenchPeer) => p.node.getMultiaddrs().find((a) => a.toString().includes('/p2p-circuit'))!

async function wire(peers: BenchPeer[], degree: number): Promise<void> {
  await Promise.allSettled(
    peers.flatMap((p, i) =>
      Array.from({ length: Math.min(degree, peers.length - 1) }, () => {
        let j = Math.floor(Math.random() * peers.length)
        if (j === i) j = (j + 1) % peers.length
        return p.node.dial(circuitOf(peers[j]!), { signal: AbortSignal.timeout(30_000) })
      }),
    ),
  )
}

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function edgeBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return [...text.matchAll(/^edgeswarm_relay_bytes_total\{[^}]*\} (\d+)/gm)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  )
}

async function runOne(
  router: Router,
  o: MessagingBenchOptions,
  edge: { url: string; cpu: () => number },
  churn: boolean,
) {
  const doc = await readBootstrap({ edgeUrl: edge.url })
  const relays = doc.relays.map((r) => r.addrs[0]!)
  const peers: BenchPeer[] = []
  for (let i = 0; i < o.peers; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, o.peers - i) }, (_, k) =>
        makePeer(router, relays[(i + k) % relays.length]!),
      ),
    )
    peers.push(...batch)
  }
  await wire(peers, o.degree)
  await waitFor(
    'every peer sees a topic peer',
    () => peers.every((p) => p.bus.getSubscribers(TOPIC).length > 0),
    120_000,
  )
  await new Promise((r) => setTimeout(r, 3_000)) // a few heartbeats: meshes form
  const sent = new Map<string, { t: number; by: BenchPeer; alive: Set<BenchPeer> }>()
  const bytes0 = await edgeBytes(edge.url)
  const cpu0 = edge.cpu()
  const copies0 = peers.reduce((s, p) => s + p.copies, 0)
  const total = o.ratePerSecond * o.seconds
  const pad = 'x'.repeat(Math.max(0, o.messageBytes - 60))
  const started = Date.now()
  let churned = 0
  const replaced: BenchPeer[] = []
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / o.ratePerSecond
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
    if (
      churn &&
      i > 0 &&
      i % Math.round(o.ratePerSecond * (60 / Math.max(1, o.churnPerMinute * o.peers))) === 0
    ) {
      // one leaves, a new one joins and dials `degree` random survivors
      const k = 1 + Math.floor(Math.random() * (peers.length - 1))
      const gone = peers[k]!
      peers.splice(k, 1)
      replaced.push(gone)
      void gone.node.stop()
      void makePeer(router, relays[churned % relays.length]!).then(async (n) => {
        peers.push(n)
        await wire([n, ...peers.slice(0, o.degree)].slice(0, 1 + o.degree), o.degree).catch(() => undefined)
      })
      churned++
    }
    const by = peers[i % peers.length]!
    const id = crypto.randomUUID()
    sent.set(id, { t: Date.now(), by, alive: new Set(peers) })
    await by.bus.publish(TOPIC, new TextEncoder().encode(`${id}${pad}`)).catch(() => undefined)
  }
  await new Promise((r) => setTimeout(r, 5_000)) // stragglers
  const bytes = (await edgeBytes(edge.url)) - bytes0
  const cpu = edge.cpu() - cpu0
  let expected = 0
  let delivered = 0
  const latencies: number[] = []
  for (const [id, s] of sent) {
    // subscribers that were there for the whole message's life (joined before, never left)
    for (const p of s.alive) {
      if (p === s.by || replaced.includes(p)) continue
      expected++
      const at = p.got.get(id)
      if (at !== undefined) {
        delivered++
        latencies.push(at - s.t)
      }
    }
  }
  const copies = peers.reduce((s, p) => s + p.copies, 0) - copies0
  await Promise.all(peers.map((p) => p.node.stop()))
  return {
    router,
    churn,
    peers: o.peers,
    messages: sent.size,
    replacedPeers: churned,
    deliveryRatio: Number((delivered / Math.max(1, expected)).toFixed(4)),
    latencyMs: { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) },
    copiesPerMessagePerPeer: Number((copies / Math.max(1, sent.size) / Math.max(1, o.peers - 1)).toFixed(2)),
    edgeBytesPerMessage: Math.round(bytes / Math.max(1, sent.size)),
    edgeBytesPerMessagePerPeer: Math.round(bytes / Math.max(1, sent.size) / o.peers),
    edgeCpuSeconds: Number(cpu.toFixed(2)),
  }
}

async function offlineDelivery(edgeUrl: string) {
  const sender = await startServicePeer({ edgeUrl })
  const key = await generateKeyPair('Ed25519')
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const to = peerIdFromPrivateKey(key).toString()
  await sender.service<Messages>('messages').send(to, 'while you were away', { mailboxOnly: true })
  const storage = memoryStorage()
  const t0 = Date.now()
  const back = await startServicePeer({ edgeUrl, privateKey: key, storage })
  const joined = Date.now()
  await waitFor(
    'mailbox delivery',
    async () => (await back.service<Messages>('messages').inbox()).length > 0,
    60_000,
    20,
  )
  const done = Date.now()
  await Promise.all([sender.stop(), back.stop()])
  return { startToDeliveryMs: done - t0, joinedToDeliveryMs: done - joined }
}

export async function runMessagingBench(
  o: MessagingBenchOptions = {
    peers: env('BENCH_MSG_PEERS', 100),
    ratePerSecond: env('BENCH_MSG_RATE', 10),
    seconds: env('BENCH_MSG_SECONDS', 60),
    degree: env('BENCH_MSG_DEGREE', 6),
    churnPerMinute: 0.2,
    messageBytes: 1024,
  },
) {
  const edge = await startEdge()
  try {
    const workerd = () => findDescendants(edge.process.pid!, 'workerd')
    const cpu = () => workerd().reduce((s, pid) => s + cpuSeconds(pid), 0)
    const e = { url: edge.url, cpu }
    const gossip = await runOne('gossipsub', o, e, false)
    const flood = await runOne('floodsub', o, e, false)
    const churn = await runOne('gossipsub', o, e, true)
    const offline = await offlineDelivery(edge.url)
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2))
    return {
      options: o,
      gossipsub: gossip,
      floodsub: flood,
      gossipsubWithChurn: churn,
      offline,
      ratios: {
        edgeBytesGossipOverFlood: ratio(gossip.edgeBytesPerMessage, flood.edgeBytesPerMessage),
        copiesGossipOverFlood: ratio(gossip.copiesPerMessagePerPeer, flood.copiesPerMessagePerPeer),
        p99GossipOverFlood: ratio(gossip.latencyMs.p99, flood.latencyMs.p99),
      },
    }
  } finally {
    await edge.stop()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await runMessagingBench(), null, 2))
  process.exit(0)
}

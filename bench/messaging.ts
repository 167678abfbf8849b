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
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { floodsub } from '@libp2p/floodsub'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { FaultTolerance, type Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
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
import { circuitListenViaHttpPath, installNodeWebSocket } from '../test/helpers/peers.ts'
import { startServicePeer } from '../test/helpers/service-peer.ts'
import { waitFor } from '../test/helpers/wait.ts'
import { cpuSeconds, findDescendants } from './lib/proc.ts'

installNodeWebSocket()

const TOPIC = 'bench'

export interface MessagingBenchOptions {
  peers: number
  ratePerSecond: number
  seconds: number
  /** Random peers each peer dials. */
  degree: number
  /** Share of peers replaced per minute in the churn run. */
  churnPerMinute: number
  messageBytes: number
  /** Share of peers that are relay-only (no listener of their own: reached through the edge only). */
  relayOnlyShare: number
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
  /** Where others dial it: its loopback TCP address, or its circuit address through its shard. */
  addr: Multiaddr
  relayOnly: boolean
  /** message id -> receive time. */
  got: Map<string, number>
  /** pub/sub messages of the topic arriving on any stream, duplicates included. */
  copies: number
}

async function makePeer(router: Router, relayAddr: string, relayOnly: boolean): Promise<BenchPeer> {
  const node = (await createLibp2p({
    start: false,
    privateKey: await generateKeyPair('Ed25519'),
    addresses: {
      listen: [`${relayAddr}/p2p-circuit`, ...(relayOnly ? [] : ['/ip4/127.0.0.1/tcp/0'])],
    },
    transports: [
      allowHttpPath(webSockets()),
      tcp(),
      circuitListenViaHttpPath(
        allowHttpPath(circuitRelayTransport({ reservationCompletionTimeout: 30_000 })),
      ),
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
  // the shard's reservation carries no addresses (peers build circuit addresses from the bootstrap
  // document), so none shows in getMultiaddrs(): the circuit listener reports `listening` instead
  let reserved = false
  node.addEventListener('transport:listening', (e) => {
    if ((e.detail as { relay?: unknown }).relay !== undefined) reserved = true
  })
  await node.start()
  const bus = node.services.pubsub
  if (router === 'gossipsub') scoreTopic(bus as unknown as GossipInternals, TOPIC)
  const tcpAddr = node
    .getMultiaddrs()
    .find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  const circuit = multiaddr(`${relayAddr}/p2p-circuit/p2p/${node.peerId}`)
  const peer: BenchPeer = {
    node,
    bus,
    addr: relayOnly || tcpAddr === undefined ? circuit : tcpAddr,
    relayOnly,
    got: new Map(),
    copies: 0,
  }
  bus.addEventListener('message', (e) => {
    if (e.detail.topic !== TOPIC) return
    const id = new TextDecoder().decode(e.detail.data.subarray(0, 36))
    if (!peer.got.has(id)) peer.got.set(id, Date.now())
  })
  // copies: count every RPC message for the topic, before de-duplication (gossipsub's and floodsub's
  // RPC entry points; both are called on the instance, so an own property takes their place)
  type Rpc = { messages?: Array<{ topic?: string }> }
  const inner = bus as unknown as Record<string, ((from: unknown, rpc: Rpc) => unknown) | undefined>
  const entry = ['handleReceivedRpc', 'processRpc'].find((k) => typeof inner[k] === 'function')
  if (entry === undefined) throw new Error(`${router}: no RPC entry point to count copies at`)
  const orig = inner[entry]!.bind(inner)
  inner[entry] = (from, rpc) => {
    peer.copies += (rpc.messages ?? []).filter((m) => m.topic === TOPIC).length
    return orig(from, rpc)
  }
  bus.subscribe(TOPIC)
  try {
    await waitFor('reservation', () => reserved, 60_000)
  } catch (err) {
    await node.stop()
    throw err
  }
  return peer
}

/** makePeer, tried up to three times: on a loaded machine a reservation occasionally times out. */
async function startPeer(router: Router, relayAddr: string, relayOnly: boolean): Promise<BenchPeer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await makePeer(router, relayAddr, relayOnly)
    } catch (err) {
      if (attempt === 3) throw err
    }
  }
}

/** Each peer of `from` dials `degree` random others of `peers` (direct when they listen, else relayed). */
async function wire(peers: BenchPeer[], degree: number, from: BenchPeer[] = peers): Promise<void> {
  await Promise.allSettled(
    from.flatMap((p) =>
      Array.from({ length: Math.min(degree, peers.length - 1) }, () => {
        let q = peers[Math.floor(Math.random() * peers.length)]!
        if (q === p) q = peers[(peers.indexOf(q) + 1) % peers.length]!
        return p.node.dial(q.addr, { signal: AbortSignal.timeout(30_000) })
      }),
    ),
  )
}

/** Every k-th peer is relay-only, k = 1 / share (share 0: none). */
const isRelayOnly = (i: number, o: MessagingBenchOptions) =>
  o.relayOnlyShare > 0 && i % Math.max(1, Math.round(1 / o.relayOnlyShare)) === 0

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
        startPeer(router, relays[(i + k) % relays.length]!, isRelayOnly(i + k, o)),
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
      void startPeer(router, relays[churned % relays.length]!, gone.relayOnly)
        .then(async (n) => {
          peers.push(n)
          await wire(peers, o.degree, [n])
        })
        .catch((err: Error) => console.error(`a joining peer failed to start: ${err.message}`))
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
    relayOnlyPeers: peers.filter((p) => p.relayOnly).length,
    messages: sent.size,
    replacedPeers: churned,
    deliveryRatio: Number((delivered / Math.max(1, expected)).toFixed(4)),
    latencyMs: { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99) },
    copiesPerMessagePerPeer: Number((copies / Math.max(1, sent.size) / Math.max(1, o.peers - 1)).toFixed(2)),
    edgeBytesPerMessage: Math.round(bytes / Math.max(1, sent.size)),
    edgeBytesPerMessagePerPeer: Math.round(bytes / Math.max(1, sent.size) / o.peers),
    /** Edge relay bytes over the message bytes peers received (every copy): the share the edge carried. */
    edgeShareOfMessageBytes: Number((bytes / Math.max(1, copies * o.messageBytes)).toFixed(3)),
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

/** Options from the environment (`BENCH_MSG_*`) or flags (`--peers 30 --seconds 20 ...`), issue defaults otherwise. */
export function messagingBenchOptions(argv: string[] = []): MessagingBenchOptions {
  const flag = (name: string, envName: string, d: number) => {
    const i = argv.indexOf(`--${name}`)
    const raw = i >= 0 ? argv[i + 1] : process.env[envName]
    const v = raw === undefined ? d : Number(raw)
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number >= 0, got ${raw}`)
    return v
  }
  return {
    peers: flag('peers', 'BENCH_MSG_PEERS', 100),
    ratePerSecond: flag('rate', 'BENCH_MSG_RATE', 10),
    seconds: flag('seconds', 'BENCH_MSG_SECONDS', 60),
    degree: flag('degree', 'BENCH_MSG_DEGREE', 6),
    churnPerMinute: flag('churn', 'BENCH_MSG_CHURN', 0.2),
    messageBytes: 1024,
    relayOnlyShare: flag('relay-only', 'BENCH_MSG_RELAY_ONLY', 0.2),
  }
}

export async function runMessagingBench(o: MessagingBenchOptions = messagingBenchOptions()) {
  // every peer here connects from 127.0.0.1, which the shards treat as one household (32 connections
  // per IP by default): lift that cap so that N peers stand for N homes
  const edge = await startEdge({ vars: { MAX_CONNECTIONS_PER_IP: String(4 * o.peers + 64) } })
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
      loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
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

type MessagingBenchResult = Awaited<ReturnType<typeof runMessagingBench>>

export function printMessagingBench(r: MessagingBenchResult): void {
  const rows = [r.gossipsub, r.floodsub, r.gossipsubWithChurn]
  const o = r.options
  console.log(
    `${o.peers} subscribers (${rows[0]!.relayOnlyPeers} relay-only, the rest on loopback TCP), ` +
      `${o.messageBytes} B at ${o.ratePerSecond}/s for ${o.seconds} s, degree ${o.degree}; load average ${r.loadAverage.join(' ')}`,
  )
  console.log(
    'run                  delivery  p50 ms  p99 ms  copies/msg/peer  edge B/msg  edge share  edge CPU s',
  )
  for (const x of rows) {
    const name = `${x.router}${x.churn ? ` +churn(${x.replacedPeers})` : ''}`
    console.log(
      `${name.padEnd(20)} ${String(x.deliveryRatio).padStart(8)}  ${String(x.latencyMs.p50).padStart(6)}  ` +
        `${String(x.latencyMs.p99).padStart(6)}  ${String(x.copiesPerMessagePerPeer).padStart(15)}  ` +
        `${String(x.edgeBytesPerMessage).padStart(10)}  ${String(x.edgeShareOfMessageBytes).padStart(10)}  ` +
        `${String(x.edgeCpuSeconds).padStart(10)}`,
    )
  }
  console.log(
    `gossipsub / floodsub: edge bytes ${r.ratios.edgeBytesGossipOverFlood}, copies ${r.ratios.copiesGossipOverFlood}, ` +
      `p99 ${r.ratios.p99GossipOverFlood}`,
  )
  console.log(
    `offline mailbox: delivered ${r.offline.joinedToDeliveryMs} ms after the recipient's peer started ` +
      `(${r.offline.startToDeliveryMs} ms including its start)`,
  )
}

if (import.meta.main) {
  const result = await runMessagingBench(messagingBenchOptions(process.argv.slice(2)))
  printMessagingBench(result)
  const dir = join(import.meta.dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `messaging-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`results written to ${file}`)
  process.exit(0)
}

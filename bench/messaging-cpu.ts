/**
 * CPU per message per peer of the messaging stack, without the edge, Chromium or worker processes:
 * N js-libp2p peers in this one process on loopback WebSockets (the product's libp2p options and
 * GossipSub settings, each peer dialling `--degree` random others), one topic, 1 KB messages at
 * `--rate` per second published round-robin for `--seconds`. Prints this process's CPU (user + system,
 * `process.cpuUsage`) divided by the first receipts of all peers: the cost the messaging bench's
 * workers pay per message per subscriber. With `--validator` each peer also runs the product's
 * pub/sub validator and payload codec (`--network-key` seals the payloads), as the `pubsub` service does.
 * `--profile <file>` writes a V8 CPU profile of the publishing window alone (`.cpuprofile`: Chrome
 * DevTools reads it) to see where that CPU goes.
 *
 * ```sh
 * node bench/messaging-cpu.ts --peers 10 --seconds 20
 * node bench/messaging-cpu.ts --validator --network-key k --profile /tmp/messaging.cpuprofile
 * ```
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type GossipSub, gossipsub, type Message } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { peerLibp2pOptions } from '#shared/peer/libp2p-options.ts'
import { type GossipInternals, gossipOptions, scoreTopic } from '#shared/services/messaging/gossip-options.ts'
import { payloadCodec } from '#shared/services/messaging/payload.ts'
import { messageValidator } from '#shared/services/messaging/validator.ts'
import { installNodeWebSocket } from '../node/src/websocket.ts'
import { waitFor } from '../scripts/lib/wait.ts'

const TOPIC = 'bench'

const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '10' },
    degree: { type: 'string', default: '4' },
    bytes: { type: 'string', default: '1000' },
    validator: { type: 'boolean', default: false },
    'network-key': { type: 'string' },
    /** Write a V8 CPU profile of the publishing window (startup excluded) to this file. */
    profile: { type: 'string' },
  },
})
const N = Number(args.peers)
const SECONDS = Number(args.seconds)
const RATE = Number(args.rate)
const DEGREE = Math.min(Number(args.degree), N - 1)

installNodeWebSocket()
const codec = payloadCodec(args['network-key'])

interface Peer {
  node: Libp2p<{ pubsub: GossipSub }>
  got: number
  /** Copies of topic messages that arrived, duplicates included (at GossipSub's RPC entry). */
  copies: number
  latencies: number[]
}

async function startPeer(): Promise<Peer> {
  const node = (await createLibp2p(
    peerLibp2pOptions({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0/ws'],
      transports: [webSockets()],
      services: { pubsub: gossipsub(gossipOptions()) },
    }),
  )) as unknown as Libp2p<{ pubsub: GossipSub }>
  const gs = node.services.pubsub
  scoreTopic(gs as unknown as GossipInternals, TOPIC)
  // as the pubsub service does: the validator's decoded payload is the one the message handler reads
  const decoded = new WeakMap<Message, { t: number }>()
  if (args.validator) {
    const onAccept = (m: Message, p: { t: number }) => decoded.set(m, p)
    gs.topicValidators.set(TOPIC, messageValidator({ codec, onDrop: () => undefined, onAccept }))
  }
  const peer: Peer = { node, got: 0, copies: 0, latencies: [] }
  type Rpc = { messages?: Array<{ topic?: string }> }
  const inner = gs as unknown as { handleReceivedRpc: (from: unknown, rpc: Rpc) => unknown }
  const entry = inner.handleReceivedRpc.bind(inner)
  inner.handleReceivedRpc = (from, rpc) => {
    for (const m of rpc.messages ?? []) if (m.topic === TOPIC) peer.copies++
    return entry(from, rpc)
  }
  gs.addEventListener('message', (e: CustomEvent<Message>) => {
    if (e.detail.topic !== TOPIC) return
    const t = args.validator ? (decoded.get(e.detail)?.t ?? 0) : readTime(e.detail.data)
    peer.got++
    peer.latencies.push(Date.now() - t)
  })
  gs.subscribe(TOPIC)
  return peer
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const readTime = (data: Uint8Array) => Number(dec.decode(data.subarray(0, 20)).split('|')[0])

function payload(): Uint8Array {
  const bytes = Number(args.bytes)
  if (args.validator) return codec.encode(TOPIC, { t: Date.now(), body: 'x'.repeat(bytes - 30) })
  return enc.encode(`${Date.now()}|`.padEnd(bytes, 'x'))
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0
}

const peers = await Promise.all(Array.from({ length: N }, startPeer))
for (const [i, p] of peers.entries()) {
  const others = peers.filter((_, j) => j !== i).sort(() => Math.random() - 0.5)
  await Promise.allSettled(
    others
      .slice(0, DEGREE)
      .map((o) => p.node.dial(o.node.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(20_000) })),
  )
}
await waitFor(
  'every peer to see a topic peer',
  () => peers.every((p) => p.node.services.pubsub.getSubscribers(TOPIC).length > 0),
  60_000,
)
// let the meshes form (heartbeat 1 s) and one warm-up message each settle
for (const p of peers) await p.node.services.pubsub.publish(TOPIC, payload())
await new Promise((r) => setTimeout(r, 3_000))
for (const p of peers) {
  p.got = 0
  p.copies = 0
  p.latencies = []
}

const session = args.profile === undefined ? undefined : new Session()
if (session !== undefined) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
const load0 = loadavg()[0]
const cpu0 = process.cpuUsage()
const t0 = performance.now()
let sent = 0
const total = SECONDS * RATE
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const p = peers[sent % N]!
    void p.node.services.pubsub.publish(TOPIC, payload()).catch(() => undefined)
    if (++sent >= total) {
      clearInterval(timer)
      resolve()
    }
  }, 1_000 / RATE)
})
// receipts still in flight
await waitFor(
  'the last receipts',
  () => peers.reduce((n, p) => n + p.got, 0) >= total * (N - 1),
  10_000,
).catch(() => undefined)
const cpu = process.cpuUsage(cpu0)
if (session !== undefined) {
  const { profile } = await session.post('Profiler.stop')
  writeFileSync(args.profile!, JSON.stringify(profile))
}
const wallS = (performance.now() - t0) / 1000
const receipts = peers.reduce((n, p) => n + p.got, 0)
const cpuMs = (cpu.user + cpu.system) / 1000
const lat = peers.flatMap((p) => p.latencies)
const result = {
  peers: N,
  degree: DEGREE,
  validator: args.validator,
  sealed: args['network-key'] !== undefined,
  messages: total,
  delivery: receipts / (total * (N - 1)),
  cpuMsPerMessagePerPeer: cpuMs / receipts,
  // of which in the kernel (socket writes and reads on loopback)
  systemMsPerMessagePerPeer: cpu.system / 1000 / receipts,
  copiesPerReceipt: peers.reduce((n, p) => n + p.copies, 0) / receipts,
  cores: cpuMs / 1000 / wallS,
  latencyMs: { p50: pct(lat, 0.5), p99: pct(lat, 0.99) },
  load: [load0 ?? 0, loadavg()[0] ?? 0].map((l) => Number(l.toFixed(2))),
}
console.log(JSON.stringify(result))
await Promise.allSettled(peers.map((p) => p.node.stop()))
process.exit(0)

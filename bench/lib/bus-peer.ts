/**
 * One subscriber of the messaging benchmark, the same code in a Node worker process
 * (bench/messaging-peer.ts) and in a Chromium tab (bench/messaging-tab.ts): a js-libp2p node with
 * GossipSub (our settings, shared/src/services/messaging/gossip-options.ts) or floodsub on one topic,
 * holding a reservation on an edge shard. Runtime-neutral: the host passes its transports and listen
 * addresses. A `BusHost` runs several such peers and answers the coordinator's JSON commands.
 *
 * Messages are `<uuid>|<publish time, ms since epoch>|<padding>`: every process runs on one machine, so
 * publish → receipt latency is read on the wall clock. Copies are counted at the routers' RPC entry
 * point, before de-duplication.
 *
 * @example
 * ```ts
 * const host = new BusHost({ transports: () => [...], listen: (relay) => [`${relay}/p2p-circuit`] }, emit)
 * await host.handle({ op: 'start', router: 'gossipsub', peers: [{ key: 'w0-0', relay, relayOnly: true }] })
 * ```
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { floodsub } from '@libp2p/floodsub'
import { gossipsub } from '@libp2p/gossipsub'
import { FaultTolerance, type Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { peerLibp2pOptions } from '#shared/peer/libp2p-options.ts'
import { type GossipInternals, gossipOptions, scoreTopic } from '#shared/services/messaging/gossip-options.ts'
import { waitFor } from '../../scripts/lib/wait.ts'

export const BENCH_TOPIC = 'bench'

export type Router = 'gossipsub' | 'floodsub'

export interface BusRuntime {
  /** Transport factories for createLibp2p (fresh ones per peer). */
  transports: () => unknown[]
  /** Addresses to listen on, given the shard's address and whether the peer is relay-only. */
  listen: (relay: string, relayOnly: boolean) => string[]
}

export type BusCommand =
  | { op: 'start'; router: Router; peers: Array<{ key: string; relay: string; relayOnly: boolean }> }
  | { op: 'dial'; key: string; addrs: string[] }
  | { op: 'publish'; key: string; bytes: number }
  | { op: 'stop'; key: string }
  | { op: 'mark' }
  | { op: 'report' }
  | { op: 'close' }

/** What a peer sends unasked: `ready` once it sees a topic peer (ms since epoch). */
export interface BusEvent {
  event: 'ready'
  key: string
  at: number
}

export interface StartedPeer {
  key: string
  id: string
  /** Its direct WebSocket address (with /p2p), when it listens on one. */
  ws?: string
}

/** How late this process's timers fired since `mark` (ms): a starved or busy event loop shows here. */
export interface LoopLag {
  p50: number
  p99: number
  max: number
}

export interface HostReport {
  peers: PeerReport[]
  loopLagMs: LoopLag
}

/** What a peer's overlay looked like at one moment (router internals: undefined where the router has none). */
export interface OverlaySnapshot {
  /** Open connections, and how many of them are relayed circuits. */
  connections: number
  relayed: number
  /** Peers this router knows on the topic. */
  topicPeers: number
  /** GossipSub mesh size on the topic. */
  mesh?: number
  /** Mesh peers the router has no outbound stream to: what it sends them is dropped. */
  meshWithoutStream?: number
  /** Router peers with no outbound stream (GossipSub). */
  peersWithoutStream?: number
}

export interface PeerReport {
  key: string
  copies: number
  /** [message id, publish → receipt ms] per first receipt. */
  got: Array<[string, number]>
  /** Connections that closed since `mark`, and why (`local|remote <error name> <path>`: count). */
  closed: number
  closeReasons: Record<string, number>
  /** At `mark` (before publishing) and at `report`. */
  overlay: { atMark?: OverlaySnapshot; atReport?: OverlaySnapshot }
}

interface Bus {
  subscribe(t: string): void
  publish(t: string, d: Uint8Array): Promise<unknown>
  addEventListener(e: 'message', h: (e: CustomEvent<{ topic: string; data: Uint8Array }>) => void): void
  getSubscribers(t: string): unknown[]
}

interface BusPeer {
  node: Libp2p
  bus: Bus
  got: Map<string, number>
  copies: number
  closed: number
  closeReasons: Map<string, number>
  atMark?: OverlaySnapshot
}

/** `webrtc`, `relayed`, `shard` (to the edge: its port) or `ws` (to another peer), from a remote address. */
function pathOf(addr: string, edgePort: string | undefined): string {
  if (addr.includes('/webrtc')) return 'webrtc'
  if (addr.includes('/p2p-circuit')) return 'relayed'
  return portOf(addr) === edgePort ? 'shard' : 'ws'
}

const portOf = (addr: string) => /\/tcp\/(\d+)/.exec(addr)?.[1]

export interface DialReport {
  ok: number
  /** Error names of the dials that failed. */
  failed: string[]
}

/** GossipSub 17's router state (public members of the class); floodsub has none of these. */
interface RouterState {
  mesh?: Map<string, Set<string>>
  streamsOutbound?: Map<string, unknown>
  peers?: Map<string, unknown>
}

function snapshot(p: BusPeer): OverlaySnapshot {
  const conns = p.node.getConnections()
  const rs = p.bus as unknown as RouterState
  const mesh = rs.mesh?.get(BENCH_TOPIC)
  const out = rs.streamsOutbound
  const noStream = (ids: Iterable<string>) =>
    out === undefined ? undefined : [...ids].filter((id) => !out.has(id)).length
  return {
    connections: conns.length,
    relayed: conns.filter(
      (c) => c.remoteAddr.toString().includes('/p2p-circuit') && !c.remoteAddr.toString().includes('/webrtc'),
    ).length,
    topicPeers: p.bus.getSubscribers(BENCH_TOPIC).length,
    mesh: mesh?.size,
    meshWithoutStream: mesh === undefined ? undefined : noStream(mesh),
    peersWithoutStream: rs.peers === undefined ? undefined : noStream(rs.peers.keys()),
  }
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

async function startPeer(rt: BusRuntime, router: Router, relay: string, relayOnly: boolean) {
  // the product's libp2p options (shared/src/peer/libp2p-options.ts: noise, yamux, identify, ping, no
  // connection monitor), so the bench's overlay behaves as the product's does
  const node = (await createLibp2p({
    ...peerLibp2pOptions({
      privateKey: await generateKeyPair('Ed25519'),
      listen: rt.listen(relay, relayOnly),
      transports: rt.transports(),
      services: {
        pubsub:
          router === 'gossipsub'
            ? gossipsub(gossipOptions())
            : floodsub({ runOnLimitedConnection: true } as never),
      },
      extra: {
        transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
        connectionManager: { maxConnections: 256 },
      },
    }),
    start: false,
  })) as unknown as Libp2p<{ pubsub: Bus }>
  // the shard's reservation carries no addresses (peers build circuit addresses from the bootstrap
  // document), so none shows in getMultiaddrs(): the circuit listener reports `listening` instead
  let reserved = false
  node.addEventListener('transport:listening', (e) => {
    if ((e.detail as { relay?: unknown }).relay !== undefined) reserved = true
  })
  await node.start()
  const bus = node.services.pubsub
  if (router === 'gossipsub') scoreTopic(bus as unknown as GossipInternals, BENCH_TOPIC)
  const peer: BusPeer = { node, bus, got: new Map(), copies: 0, closed: 0, closeReasons: new Map() }
  // why connections close (who closed, the error, the path), counted from `mark` on
  node.addEventListener('connection:open', (e) => {
    const conn = e.detail
    conn.addEventListener('close', (evt) => {
      const { local, error } = evt as unknown as { local?: boolean; error?: Error }
      const why = `${local === true ? 'local' : 'remote'} ${error?.name ?? 'close'} ${pathOf(conn.remoteAddr.toString(), portOf(relay))}`
      peer.closed++
      peer.closeReasons.set(why, (peer.closeReasons.get(why) ?? 0) + 1)
    })
  })
  bus.addEventListener('message', (e) => {
    if (e.detail.topic !== BENCH_TOPIC) return
    const [id, sentAt] = decoder.decode(e.detail.data.subarray(0, 64)).split('|')
    if (id !== undefined && !peer.got.has(id)) peer.got.set(id, Date.now() - Number(sentAt))
  })
  // copies: every RPC message for the topic, before de-duplication (gossipsub's and floodsub's RPC
  // entry points; both are called on the instance, so an own property takes their place)
  type Rpc = { messages?: Array<{ topic?: string }> }
  const inner = bus as unknown as Record<string, ((from: unknown, rpc: Rpc) => unknown) | undefined>
  const entry = ['handleReceivedRpc', 'processRpc'].find((k) => typeof inner[k] === 'function')
  if (entry === undefined) throw new Error(`${router}: no RPC entry point to count copies at`)
  const orig = inner[entry]!.bind(inner)
  inner[entry] = (from, rpc) => {
    peer.copies += (rpc.messages ?? []).filter((m) => m.topic === BENCH_TOPIC).length
    return orig(from, rpc)
  }
  bus.subscribe(BENCH_TOPIC)
  try {
    await waitFor('a reservation on the shard', () => reserved, 60_000)
  } catch (err) {
    await node.stop()
    throw err
  }
  return peer
}

/** Several bench peers in one process, driven by JSON commands; `emit` carries unasked events. */
export class BusHost {
  readonly #rt: BusRuntime
  readonly #emit: (e: BusEvent) => void
  readonly #peers = new Map<string, BusPeer>()
  readonly #reports: PeerReport[] = []
  #seq = 0
  #lags: number[] = []
  #lagTimer: ReturnType<typeof setInterval> | undefined

  constructor(rt: BusRuntime, emit: (e: BusEvent) => void) {
    this.#rt = rt
    this.#emit = emit
  }

  async handle(cmd: BusCommand): Promise<unknown> {
    switch (cmd.op) {
      case 'start':
        return Promise.all(cmd.peers.map((p) => this.#start(cmd.router, p.key, p.relay, p.relayOnly)))
      case 'dial':
        return this.#dial(cmd.key, cmd.addrs)
      case 'publish':
        return this.#publish(cmd.key, cmd.bytes)
      case 'stop':
        return this.#stop(cmd.key)
      case 'mark':
        for (const p of this.#peers.values()) {
          p.copies = 0
          p.closed = 0
          p.closeReasons.clear()
          p.atMark = snapshot(p)
        }
        this.#sampleLag()
        return true
      case 'report':
        return {
          peers: [...this.#reports, ...[...this.#peers].map(([key, p]) => report(key, p))],
          loopLagMs: lagOf(this.#lags),
        } satisfies HostReport
      case 'close':
        clearInterval(this.#lagTimer)
        await Promise.allSettled([...this.#peers.keys()].map((k) => this.#stop(k)))
        return true
    }
  }

  /** Timer lateness every LAG_SAMPLE_MS from now on (runtime-neutral: Node and the tab alike). */
  #sampleLag(): void {
    clearInterval(this.#lagTimer)
    this.#lags = []
    let due = Date.now() + LAG_SAMPLE_MS
    this.#lagTimer = setInterval(() => {
      const now = Date.now()
      this.#lags.push(Math.max(0, now - due))
      due = now + LAG_SAMPLE_MS
    }, LAG_SAMPLE_MS)
  }

  async #start(router: Router, key: string, relay: string, relayOnly: boolean): Promise<StartedPeer> {
    // on a loaded machine a reservation occasionally times out: up to three attempts
    for (let attempt = 1; ; attempt++) {
      try {
        const peer = await startPeer(this.#rt, router, relay, relayOnly)
        this.#peers.set(key, peer)
        this.#watchReady(key, peer)
        // its own WebSocket listener, never a circuit address through the shard (also `/ws/`)
        const ws = peer.node
          .getMultiaddrs()
          .map((a) => a.toString())
          .find((a) => a.includes('/ws/') && !a.includes('/p2p-circuit'))
        return { key, id: peer.node.peerId.toString(), ws }
      } catch (err) {
        if (attempt === 3) throw err
      }
    }
  }

  #watchReady(key: string, peer: BusPeer): void {
    void waitFor('a topic peer', () => peer.bus.getSubscribers(BENCH_TOPIC).length > 0, 600_000, 50)
      .then(() => this.#emit({ event: 'ready', key, at: Date.now() }))
      .catch(() => undefined) // stopped before it saw one: never ready
  }

  /** Dials each address; answers how many connected and why the others did not (error names). */
  async #dial(key: string, addrs: string[]): Promise<DialReport> {
    const peer = this.#peers.get(key)
    if (peer === undefined) return { ok: 0, failed: addrs.map(() => 'peer stopped') }
    const r = await Promise.allSettled(
      addrs.map((a) => peer.node.dial(multiaddr(a), { signal: AbortSignal.timeout(30_000) })),
    )
    return {
      ok: r.filter((x) => x.status === 'fulfilled').length,
      failed: r.flatMap((x) => (x.status === 'rejected' ? [(x.reason as Error).name] : [])),
    }
  }

  async #publish(key: string, bytes: number): Promise<{ id: string; at: number } | undefined> {
    const peer = this.#peers.get(key)
    if (peer === undefined) return undefined
    const id = `${key}.${this.#seq++}`
    const at = Date.now()
    const head = `${id}|${at}|`
    const data = encoder.encode(head.padEnd(bytes, 'x'))
    // answered once the message exists, not once the router has written it everywhere: a router that
    // cannot keep up (floodsub at 100 peers) would otherwise hold the answer while its sockets are
    // backed up, and the message, published, would not be counted as sent
    void peer.bus.publish(BENCH_TOPIC, data).catch(() => undefined)
    return { id, at }
  }

  async #stop(key: string): Promise<boolean> {
    const peer = this.#peers.get(key)
    if (peer === undefined) return false
    this.#peers.delete(key)
    this.#reports.push(report(key, peer))
    await peer.node.stop()
    return true
  }
}

const LAG_SAMPLE_MS = 50

function lagOf(xs: number[]): LoopLag {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0
  return { p50: at(0.5), p99: at(0.99), max: at(1) }
}

function report(key: string, p: BusPeer): PeerReport {
  const running = p.node.status === 'started'
  return {
    key,
    copies: p.copies,
    got: [...p.got],
    closed: p.closed,
    closeReasons: Object.fromEntries(p.closeReasons),
    overlay: { atMark: p.atMark, atReport: running ? snapshot(p) : undefined },
  }
}

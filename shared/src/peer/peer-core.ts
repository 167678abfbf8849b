/**
 * The peer core: what a home node and a browser tab do alike once their libp2p node runs. It keeps
 * reservations on the edge shards (and, given one, on a home super-peer), chooses and verifies paths,
 * runs the transfer service, and reaches peers: `connect` (verified direct preferred, through relays
 * otherwise), `dial`, `ping` and `send`, retrying once on a fresh connection when one dies mid-way.
 * The shells (node/src/daemon.ts, browser/src/app.ts) build the libp2p node from their transports and
 * identity and hand it here.
 *
 * @example
 * ```ts
 * const core = new PeerCore({ node, source, transport: circuit, events, webrtc: true, isPublicAddr })
 * await core.start()
 * const sent = await core.send(peerIdFromString(other), 1 << 20, 'any')
 * ```
 */
import type { Connection, Libp2p, PeerId, Transport } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import * as D from '../defaults.ts'
import { InvalidInputError, TimeoutError, toError } from '../errors.ts'
import { Backoff } from './backoff.ts'
import type { BootstrapSource } from './bootstrap-client.ts'
import { classifyAddr, isRelayed, type PathChoice, pathLabel } from './classify.ts'
import type { PeerEvents } from './events.ts'
import { type ConnectionView, PathManager } from './path-manager.ts'
import { pingConnection } from './ping.ts'
import { type KeptRelay, ReservationKeeper } from './reservations.ts'
import { TransferService } from './transfer.ts'

export interface PeerCoreInit {
  node: Libp2p
  /** The bootstrap document, already loaded once. */
  source: BootstrapSource
  /** The circuitRelayTransport instance (captured at construction). */
  transport: Transport
  events: PeerEvents
  webrtc: boolean
  /** Whether a direct address is worth dialling (public, or in --public-cidr). */
  isPublicAddr: (addr: Multiaddr) => boolean
  /** Home super-peers to reserve on besides the shards (node only). @default none */
  superPeers?: (doc: NonNullable<BootstrapSource['doc']>) => KeptRelay[]
  /** Called when a direct connection proved it carries traffic (the node's reachability evidence). */
  onVerified?: (conn: Connection) => void
}

export class PeerCore {
  readonly node: Libp2p
  readonly source: BootstrapSource
  readonly shards: ReservationKeeper
  readonly superPeers?: ReservationKeeper
  readonly paths: PathManager
  readonly transfers: TransferService
  readonly #events: PeerEvents
  /** Relays that left a circuit hanging, avoided when dialling until the time given (epoch ms). */
  readonly #suspects = new Map<string, number>()

  constructor(init: PeerCoreInit) {
    const { node, source, events } = init
    const doc = source.doc
    if (doc === undefined) throw new Error('PeerCore needs a loaded bootstrap document')
    this.node = node
    this.source = source
    this.#events = events
    this.shards = new ReservationKeeper({
      node,
      transport: init.transport,
      relays: doc.relays,
      want: D.DEFAULT_NODE_RESERVATIONS,
      events,
      refresh: async () => (await source.load()).relays,
    })
    const superPeers = init.superPeers
    if (superPeers !== undefined) {
      this.superPeers = new ReservationKeeper({
        node,
        transport: init.transport,
        relays: superPeers(doc),
        want: D.DEFAULT_NODE_SUPER_PEER_RESERVATIONS,
        kind: 'super-peer',
        events,
        refresh: async () => superPeers(await source.load()),
      })
    }
    source.onUpdate((fresh) => {
      this.shards.update(fresh.relays)
      if (this.superPeers !== undefined && superPeers !== undefined) {
        // a super-peer we hold a reservation on stays while it works, even if a shard stopped listing it
        const listed = superPeers(fresh)
        const ids = new Set(listed.map((r) => r.peerId))
        const held = new Set(this.superPeers.list().map((r) => r.relay))
        const kept = this.superPeers.relays().filter((r) => held.has(r.peerId) && !ids.has(r.peerId))
        this.superPeers.update([...listed, ...kept])
      }
    })
    this.paths = new PathManager({
      node,
      events,
      webrtc: init.webrtc,
      shardOf: (id) => this.shards.shardOf(id),
      isRelayPeer: (id) => this.isRelay(id),
      isPublicAddr: init.isPublicAddr,
      circuitAddrsFor: (peer) => this.circuitAddrsFor(peer),
      ...(init.onVerified === undefined ? {} : { onVerified: init.onVerified }),
    })
    this.transfers = new TransferService({ node, paths: this.paths, events, label: (v) => this.label(v) })
  }

  /** Starts the transfer service, path checks and every reservation (in parallel). */
  async start(): Promise<void> {
    await this.transfers.start()
    this.paths.start()
    this.shards.start()
    this.superPeers?.start()
  }

  /** Resolves once the first reservations on the edge's shards have been made or have failed once. */
  joined(): Promise<void> {
    return this.shards.firstRound()
  }

  stop(): void {
    this.shards.stop()
    this.superPeers?.stop()
    this.paths.stop()
  }

  /** True for a relay we know (an edge shard or a home super-peer we reserve on). */
  isRelay(peerId: string): boolean {
    return this.shards.has(peerId) || this.superPeers?.has(peerId) === true
  }

  label(v: ConnectionView): string {
    return pathLabel({ ...v, superPeer: v.relay !== undefined && this.superPeers?.has(v.relay) === true })
  }

  /**
   * Circuit addresses of `peer` through every shard and super-peer we know (it may have reserved on
   * any), leaving out relays that recently left a circuit hanging while others remain.
   */
  circuitAddrsFor(peer: PeerId): Multiaddr[] {
    const all = [...this.shards.relays(), ...(this.superPeers?.relays() ?? [])].filter(
      (r) => r.peerId !== peer.toString(),
    )
    const healthy = all.filter((r) => (this.#suspects.get(r.peerId) ?? 0) < Date.now())
    return (healthy.length > 0 ? healthy : all).flatMap((r) =>
      r.addrs.map((a) => multiaddr(`${a}/p2p-circuit/p2p/${peer}`)),
    )
  }

  async #candidates(peer: PeerId): Promise<Multiaddr[]> {
    const id = peer.toString()
    // a fresh document may list the peer (it reserved after we joined)
    // (wait for that fresh document only when no relay circuit can be tried meanwhile: a failover
    // must not queue behind an HTTP round trip to the edge)
    const circuits = this.circuitAddrsFor(peer)
    const refreshing = this.source.doc?.peers.some((p) => p.peerId === id)
      ? undefined
      : this.source.refreshSoon()
    const fresh = circuits.length === 0 ? await refreshing : undefined
    const listed = (fresh ?? this.source.doc)?.peers.find((p) => p.peerId === id)
    const stored = await this.node.peerStore.get(peer).catch(() => undefined)
    const all = [
      ...(stored?.addresses ?? []).map((a) => a.multiaddr.toString()),
      ...(listed?.addrs ?? []),
      ...circuits.map((a) => a.toString()),
    ]
      .filter((a) => !a.includes('/webrtc'))
      .map((a) => (a.endsWith(`/p2p/${id}`) ? a : `${a}/p2p/${id}`))
    const addrs = [...new Set(all)].map((a) => multiaddr(a))
    const healthy = addrs.filter((a) => {
      const relay = classifyAddr(a).relay
      return relay === undefined || (this.#suspects.get(relay) ?? 0) < Date.now()
    })
    return healthy.length > 0 ? healthy : addrs
  }

  /** An open connection to `peer` on the path asked for, dialling through relays if needed. */
  async connect(peer: PeerId, choice: PathChoice = 'any'): Promise<Connection> {
    const { node, paths } = this
    if (peer.equals(node.peerId)) throw new InvalidInputError('cannot dial ourselves')
    let conn = paths.best(peer, choice === 'direct' ? 'any' : choice)
    if (conn === undefined) {
      let addrs = await this.#candidates(peer)
      if (choice === 'relayed') addrs = addrs.filter(isRelayed)
      const dial = () =>
        node.dial(addrs, {
          signal: AbortSignal.timeout(D.DEFAULT_DIAL_TIMEOUT_MS),
          // no usable connection exists (best() found none), but libp2p would hand back any open one:
          // an unverified direct connection (a WebRTC attempt whose ICE never connected) would then
          // cost a whole verify timeout before the relay is tried. Dial the candidates themselves.
          force: true,
        })
      try {
        conn = await dial()
        // libp2p's dial queue joins a dial to a peer that is already being dialled (a neighbour's direct
        // dial, say) and answers that dial's connection: dial the circuits again once it has ended
        if (choice === 'relayed' && !isRelayed(conn.remoteAddr)) conn = await dial()
      } catch (err) {
        throw new InvalidInputError(`cannot reach ${peer}: ${toError(err).message.split('\n')[0]}`)
      }
      if (!isRelayed(conn.remoteAddr)) await paths.verify(conn)
      conn = paths.best(peer, choice === 'direct' ? 'any' : choice) ?? conn
    }
    if (choice === 'direct' && isRelayed(conn.remoteAddr)) {
      if (!(await paths.whenDirect(peer, 0))) {
        void paths.upgrade(peer)
        await paths.whenDirect(peer, D.DEFAULT_UPGRADE_TIMEOUT_MS + D.DEFAULT_UPGRADE_ANSWERER_GRACE_MS)
      }
      const direct = paths.best(peer, 'direct')
      if (direct === undefined) {
        throw new InvalidInputError(
          `no verified direct connection to ${peer} (see path.relay-fallback events)`,
        )
      }
      return direct
    }
    return conn
  }

  /** Connects, then waits up to `waitDirectMs` for a verified direct path; answers the best path. */
  async dial(peer: PeerId, waitDirectMs = 0): Promise<ConnectionView & { label: string; direct: boolean }> {
    const conn = await this.connect(peer)
    if (waitDirectMs > 0 && !this.paths.hasVerifiedDirect(peer)) {
      void this.paths.upgrade(peer)
      await this.paths.whenDirect(peer, waitDirectMs)
    }
    const view = this.paths.describe(this.paths.best(peer) ?? conn)
    return { ...view, label: this.label(view), direct: this.paths.hasVerifiedDirect(peer) }
  }

  /**
   * Runs `op` on the best connection; when it fails on one that died (or a direct one that no longer
   * echoes: closed, `path.relay-fallback`), runs `op` again on a fresh connection (normally the relay),
   * retrying with backoff for DEFAULT_SEND_RETRY_WINDOW_MS while the peer re-reserves.
   */
  async withFallback<T>(peer: PeerId, choice: PathChoice, op: (c: Connection) => Promise<T>) {
    const conn = await this.connect(peer, choice)
    try {
      return { conn, out: await op(conn) }
    } catch (err) {
      let gone = conn.status !== 'open'
      const relay = classifyAddr(conn.remoteAddr).relay
      if (!gone && relay !== undefined && toError(err).name === 'TimeoutError') {
        // a circuit that cannot even open a stream: its relay vanished without closing; go around it
        this.#suspects.set(relay, Date.now() + D.DEFAULT_SUSPECT_RELAY_MS)
        conn.abort(toError(err))
        gone = true
      }
      if (!gone && (choice === 'direct' || isRelayed(conn.remoteAddr) || (await this.paths.verify(conn)))) {
        throw err
      }
      this.#events('path.retry', { peer: peer.toString(), reason: toError(err).message, gone }, 'warn')
      const deadline = Date.now() + D.DEFAULT_SEND_RETRY_WINDOW_MS
      const backoff = new Backoff()
      for (;;) {
        try {
          const again = await this.connect(peer, choice)
          return { conn: again, out: await op(again) }
        } catch (retryErr) {
          if (Date.now() > deadline) throw retryErr
          await new Promise((r) => setTimeout(r, backoff.next()))
        }
      }
    }
  }

  async ping(peer: PeerId, count: number) {
    const { conn, out: rttsMs } = await this.withFallback(peer, 'any', async (c) => {
      const rtts: number[] = []
      for (let i = 0; i < count; i++) {
        try {
          const timeoutMs = isRelayed(c.remoteAddr)
            ? this.paths.relayedOpenTimeoutMs(c)
            : D.DEFAULT_PATH_VERIFY_TIMEOUT_MS
          rtts.push(await pingConnection(c, timeoutMs))
        } catch (err) {
          const label = this.label(this.paths.describe(c))
          throw new TimeoutError(`ping ${peer} over ${label} failed: ${toError(err).message}`)
        }
      }
      return rtts
    })
    const view = this.paths.describe(conn)
    return {
      peer: peer.toString(),
      path: view.path,
      label: this.label(view),
      rttsMs,
      remoteAddr: view.remoteAddr,
    }
  }

  async send(peer: PeerId, bytes: number, choice: PathChoice, timeoutMs?: number) {
    const opts = timeoutMs === undefined ? {} : { timeoutMs }
    if (choice === 'any' && bytes >= D.DEFAULT_SEND_AWAIT_UPGRADE_MIN_BYTES) {
      // a bulk send on a fresh relayed connection lets the upgrade under way finish first (bounded): it
      // then goes direct, and the upgrade's signalling does not queue behind it on the relay
      const conn = await this.connect(peer, 'any')
      if (isRelayed(conn.remoteAddr)) await this.paths.whenSettled(peer, D.DEFAULT_SEND_AWAIT_UPGRADE_MS)
    }
    const { out } = await this.withFallback(peer, choice, (c) =>
      this.transfers.send(c, bytes, {
        ...opts,
        openTimeoutMs: isRelayed(c.remoteAddr)
          ? this.paths.relayedOpenTimeoutMs(c)
          : D.DEFAULT_STREAM_OPEN_TIMEOUT_MS,
      }),
    )
    return out
  }
}

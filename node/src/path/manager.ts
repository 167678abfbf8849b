/**
 * Chooses and verifies the path to each peer: direct whenever a direct connection has carried
 * traffic, the relay otherwise.
 *
 * - Every direct connection (TCP, WS, WebRTC; opened by us, by the peer, or by DCUtR) must answer a
 *   ping on that very connection within `verifyTimeoutMs` before it counts as direct. One that does
 *   not is closed, and the peer stays on (or goes back to) a relayed connection: `path.relay-fallback`.
 * - When a peer is reachable only through a relay, we try to upgrade: first its public TCP/WS
 *   addresses (a unilateral upgrade), then WebRTC signalled over the relayed connection (ICE does the
 *   UDP hole punch). Only the side with the smaller peer ID starts WebRTC, to avoid two crossing
 *   attempts; the other side still verifies what arrives.
 * - The relayed connection is kept open as the fallback; verified direct connections are re-pinged
 *   every `recheckMs` and dropped when they die.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { toError } from '../../../shared/src/errors.ts'
import type { EventSink } from '../events.ts'
import { classifyAddr, isRelayed, type PathKind } from './classify.ts'
import { pingConnection } from './probe.ts'

export interface PathManagerInit {
  node: Libp2p
  events: EventSink
  webrtc: boolean
  verifyTimeoutMs: number
  upgradeTimeoutMs: number
  upgradeAttempts: number
  recheckMs: number
  /** Relay shard name for a relay peer ID (undefined for super-peers and unknown relays). */
  shardOf: (relayPeerId: string) => string | undefined
  /** True for relays we hold reservations with: never "upgraded", never counted as peers. */
  isRelayPeer: (peerId: string) => boolean
  /** Whether a direct address is worth dialling (public, or in --public-cidr). */
  isPublicAddr: (addr: Multiaddr) => boolean
  /** Circuit addresses to reach `peer` through our relays (for falling back to the relay). */
  circuitAddrsFor: (peer: PeerId) => Multiaddr[]
  /** Measures a connection's RTT by traffic (tests stub it). @default pingConnection */
  probe?: (conn: Connection, timeoutMs: number) => Promise<number>
  /** Called when a direct connection proved it carries traffic. */
  onVerified?: (conn: Connection) => void
}

interface ConnState {
  verified?: boolean
  rttMs?: number
  checking?: Promise<boolean>
}

export interface ConnectionView {
  peer: string
  id: string
  path: PathKind
  shard?: string
  relay?: string
  remoteAddr: string
  direction: string
  /** True once traffic crossed it (direct), false when it failed the check, absent while unknown. */
  verified?: boolean
  rttMs?: number
  openedAt: string
}

export class PathManager {
  readonly #init: PathManagerInit
  readonly #state = new WeakMap<Connection, ConnState>()
  readonly #upgrading = new Map<string, Promise<void>>()
  #timer?: ReturnType<typeof setInterval>
  #stopped = false

  constructor(init: PathManagerInit) {
    this.#init = init
  }

  start(): void {
    this.#init.node.addEventListener('connection:open', (evt) => this.#onOpen(evt.detail))
    this.#timer = setInterval(() => void this.#recheck(), this.#init.recheckMs)
    this.#timer.unref?.()
  }

  stop(): void {
    this.#stopped = true
    clearInterval(this.#timer)
  }

  describe(conn: Connection): ConnectionView {
    const info = classifyAddr(conn.remoteAddr)
    const state = this.#state.get(conn) ?? {}
    const shard = info.relay === undefined ? undefined : this.#init.shardOf(info.relay)
    return {
      peer: conn.remotePeer.toString(),
      id: conn.id,
      path: info.kind,
      ...(info.relay === undefined ? {} : { relay: info.relay }),
      ...(shard === undefined ? {} : { shard }),
      remoteAddr: conn.remoteAddr.toString(),
      direction: conn.direction,
      ...(state.verified === undefined ? {} : { verified: state.verified }),
      ...(state.rttMs === undefined ? {} : { rttMs: state.rttMs }),
      openedAt: new Date(conn.timeline.open).toISOString(),
    }
  }

  /** The connection to use for `peer`: a verified direct one (lowest RTT), else a relayed one. */
  best(peer: PeerId): Connection | undefined {
    const conns = this.#init.node.getConnections(peer).filter((c) => c.status === 'open')
    const direct = conns
      .filter((c) => !isRelayed(c.remoteAddr) && this.#state.get(c)?.verified === true)
      .sort((a, b) => (this.#state.get(a)?.rttMs ?? 1e9) - (this.#state.get(b)?.rttMs ?? 1e9))
    return direct[0] ?? conns.find((c) => isRelayed(c.remoteAddr))
  }

  relayed(peer: PeerId): Connection | undefined {
    return this.#init.node.getConnections(peer).find((c) => c.status === 'open' && isRelayed(c.remoteAddr))
  }

  hasVerifiedDirect(peer: PeerId): boolean {
    return this.#init.node
      .getConnections(peer)
      .some((c) => c.status === 'open' && !isRelayed(c.remoteAddr) && this.#state.get(c)?.verified === true)
  }

  /** Pings a connection and remembers the RTT; false (never throws) when no echo came back. */
  async measure(conn: Connection): Promise<boolean> {
    const state = this.#state.get(conn) ?? {}
    this.#state.set(conn, state)
    if (state.checking !== undefined) return state.checking
    state.checking = (this.#init.probe ?? pingConnection)(conn, this.#init.verifyTimeoutMs)
      .then((rtt) => {
        state.rttMs = rtt
        return true
      })
      .catch(() => false)
      .finally(() => {
        state.checking = undefined
      })
    return state.checking
  }

  /** Verifies a direct connection by traffic; closes it and falls back to the relay when dead. */
  async verify(conn: Connection): Promise<boolean> {
    const ok = await this.measure(conn)
    const state = this.#state.get(conn)!
    const was = state.verified
    state.verified = ok
    const peer = conn.remotePeer
    const path = classifyAddr(conn.remoteAddr).kind
    if (ok) this.#init.onVerified?.(conn)
    if (ok && was !== true) {
      this.#init.events('path.direct', {
        peer: peer.toString(),
        path,
        remoteAddr: conn.remoteAddr.toString(),
        rttMs: state.rttMs,
      })
    }
    if (!ok) {
      const reason = `${path} connection carried no traffic (no ping echo within ${this.#init.verifyTimeoutMs} ms)`
      conn.abort(new Error(reason))
      await this.#fallBack(peer, reason)
    }
    return ok
  }

  /** Tries to get a verified direct connection to `peer` (one attempt series at a time per peer). */
  upgrade(peer: PeerId): Promise<void> {
    const key = peer.toString()
    const running = this.#upgrading.get(key)
    if (running !== undefined) return running
    const job = this.#upgrade(peer).finally(() => this.#upgrading.delete(key))
    this.#upgrading.set(key, job)
    return job
  }

  #onOpen(conn: Connection): void {
    if (this.#stopped) return
    const peer = conn.remotePeer.toString()
    if (this.#init.isRelayPeer(peer)) return
    if (isRelayed(conn.remoteAddr)) {
      // give identify a moment to exchange addresses and protocols over the new connection
      setTimeout(() => void this.upgrade(conn.remotePeer), 300).unref?.()
    } else {
      void this.verify(conn)
    }
  }

  async #upgrade(peer: PeerId): Promise<void> {
    const reasons: string[] = []
    for (let attempt = 0; attempt < this.#init.upgradeAttempts && !this.#stopped; attempt++) {
      if (this.hasVerifiedDirect(peer)) return
      const relayed = this.relayed(peer)
      if (relayed === undefined) return
      const viaPublic = await this.#tryPublicAddrs(peer)
      if (viaPublic === true) return
      if (viaPublic !== undefined) reasons.push(viaPublic)
      if (!this.#init.webrtc) {
        reasons.push('WebRTC disabled')
        break
      }
      if (this.#init.node.peerId.toString() > peer.toString()) {
        // the peer starts WebRTC; wait for its attempt and our verification of it
        await new Promise((r) => setTimeout(r, this.#init.upgradeTimeoutMs / this.#init.upgradeAttempts))
        if (this.hasVerifiedDirect(peer)) return
        reasons.push('peer-initiated WebRTC upgrade did not produce a working connection')
        continue
      }
      const viaWebRTC = await this.#tryWebRTC(peer, relayed)
      if (viaWebRTC === true) return
      reasons.push(viaWebRTC)
    }
    if (this.hasVerifiedDirect(peer) || this.#stopped) return
    const relayed = this.relayed(peer)
    const shard = relayed === undefined ? undefined : this.describe(relayed).shard
    this.#init.events(
      'path.relay-fallback',
      {
        peer: peer.toString(),
        reason: reasons.at(-1) ?? 'no direct path',
        attempts: reasons,
        ...(shard === undefined ? {} : { shard }),
      },
      'warn',
    )
  }

  /** True on success, a reason string on failure, undefined when the peer has no public address. */
  async #tryPublicAddrs(peer: PeerId): Promise<true | string | undefined> {
    const stored = await this.#init.node.peerStore.get(peer).catch(() => undefined)
    const addrs = (stored?.addresses ?? [])
      .map((a) => a.multiaddr)
      .filter((a) => !isRelayed(a) && !a.toString().includes('/webrtc') && this.#init.isPublicAddr(a))
      .map((a) => (a.getComponents().some((c) => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${peer}`)))
    if (addrs.length === 0) return undefined
    try {
      const conn = await this.#init.node.dial(addrs, {
        signal: AbortSignal.timeout(this.#init.upgradeTimeoutMs),
        force: true,
      })
      if (isRelayed(conn.remoteAddr)) return 'direct dial returned a relayed connection'
      return (await this.verify(conn)) ? true : 'direct TCP/WS connection carried no traffic'
    } catch (err) {
      return `direct dial to public addresses failed: ${toError(err).message.split('\n')[0]}`
    }
  }

  async #tryWebRTC(peer: PeerId, relayed: Connection): Promise<true | string> {
    const circuit = relayed.remoteAddr.toString()
    const base = circuit.endsWith(`/p2p/${peer}`) ? circuit.slice(0, -`/p2p/${peer}`.length) : circuit
    let target: Multiaddr
    try {
      target = multiaddr(`${base}/webrtc/p2p/${peer}`)
    } catch (err) {
      return `cannot build a WebRTC address from ${circuit}: ${toError(err).message}`
    }
    try {
      const conn = await this.#init.node.dial(target, {
        signal: AbortSignal.timeout(this.#init.upgradeTimeoutMs),
        force: true,
      })
      return (await this.verify(conn)) ? true : 'WebRTC connection carried no traffic'
    } catch (err) {
      return `WebRTC upgrade failed: ${toError(err).message.split('\n')[0]}`
    }
  }

  async #fallBack(peer: PeerId, reason: string): Promise<void> {
    let relayed = this.relayed(peer)
    if (relayed === undefined) {
      const addrs = this.#init.circuitAddrsFor(peer)
      if (addrs.length > 0) {
        relayed = await this.#init.node
          .dial(addrs, { signal: AbortSignal.timeout(this.#init.upgradeTimeoutMs), force: true })
          .catch(() => undefined)
      }
    }
    const shard = relayed === undefined ? undefined : this.describe(relayed).shard
    this.#init.events(
      'path.relay-fallback',
      {
        peer: peer.toString(),
        reason,
        relayed: relayed !== undefined,
        ...(shard === undefined ? {} : { shard }),
      },
      'warn',
    )
  }

  async #recheck(): Promise<void> {
    for (const conn of this.#init.node.getConnections()) {
      if (this.#stopped) return
      if (conn.status !== 'open' || isRelayed(conn.remoteAddr)) continue
      if (this.#init.isRelayPeer(conn.remotePeer.toString())) continue
      if (this.#state.get(conn)?.verified === true) await this.verify(conn)
    }
  }
}

/**
 * Every connection of the tab with its path and RTT, and the upgrade of relayed links to direct WebRTC.
 *
 * - A relayed connection to a peer (not a relay) triggers a WebRTC dial signalled through that same
 *   circuit. Of the two peers, the one with the smaller peer ID starts (the Node daemon's rule too, so
 *   two simultaneous offers never collide); the other tries only if nothing works after a grace time.
 * - A WebRTC connection counts as direct only once a ping crossed it. One that does not echo within
 *   the verify timeout is closed and the relay kept (DESIGN.md: @libp2p/webrtc can open dead `/webrtc`
 *   connections on the receiving side).
 * - Every connection is pinged periodically for its RTT; a WebRTC link that stops answering falls back
 *   to the relay.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_BROWSER_PING_INTERVAL_MS,
  DEFAULT_WEBRTC_VERIFY_TIMEOUT_MS,
} from '../../shared/src/defaults.ts'
import { toError } from '../../shared/src/errors.ts'
import { Backoff } from './backoff.ts'
import type { EventLog } from './events.ts'
import { classify, pathLabel } from './paths.ts'
import { pingConnection } from './ping.ts'
import { webRtcAvailable } from './transports.ts'
import type { LinkInfo, PeerRole } from './types.ts'

/** Our identify agent name (peer.ts `nodeInfo.name`); tells tabs from Node peers on the page. */
export const BROWSER_AGENT = 'edgeswarm-browser'

interface UpgradeState {
  backoff: Backoff
  nextAt: number
  inFlight: boolean
  lastError?: string
}

/** Delay before the peer with the larger ID tries WebRTC itself (ms): longer than one attempt takes. */
export const ANSWERER_GRACE_MS = 10_000
const WEBRTC_DIAL_TIMEOUT_MS = 20_000
/** Consecutive failed pings after which a verified WebRTC link is declared dead. */
const MAX_PING_FAILURES = 2
/**
 * A failed WebRTC upgrade is retried after ~1 s (a first ICE attempt on a busy machine sometimes times
 * out where the second succeeds), then with doubling delays up to 2 min (networks change: Wi-Fi to LTE).
 */
const UPGRADE_RETRY_MIN_MS = 1_000
const UPGRADE_RETRY_MAX_MS = 120_000

export class LinkManager {
  readonly links = new Map<string, LinkInfo>()
  readonly #conns = new Map<string, Connection>()
  readonly #upgrades = new Map<string, UpgradeState>()
  /** One verification per connection, shared by everyone who asks. */
  readonly #verifying = new Map<string, Promise<boolean>>()
  /** Connections with a ping in flight (one at a time per connection). */
  readonly #pinging = new Set<string>()
  /** Consecutive failed pings per connection. */
  readonly #pingFailures = new Map<string, number>()
  readonly #node: Libp2p
  readonly #events: EventLog
  readonly #shardOf: (peer: string) => string | undefined
  readonly #agents = new Map<string, string>()
  #timer?: ReturnType<typeof setInterval>
  /** Last WebRTC failure per peer, cleared once a direct link to that peer carries traffic. */
  readonly #webrtcErrors = new Map<string, string>()

  constructor(node: Libp2p, events: EventLog, shardOf: (peer: string) => string | undefined) {
    this.#node = node
    this.#events = events
    this.#shardOf = shardOf
  }

  start(): void {
    this.#node.addEventListener('connection:open', (evt) => this.#onOpen(evt.detail))
    this.#node.addEventListener('connection:close', (evt) => this.#onClose(evt.detail))
    this.#node.addEventListener('peer:identify', (evt) => {
      const peer = evt.detail.peerId.toString()
      this.#agents.set(peer, evt.detail.agentVersion ?? '')
      for (const l of this.links.values()) if (l.peer === peer) l.role = this.#role(peer)
    })
    for (const conn of this.#node.getConnections()) this.#onOpen(conn)
    this.#timer = setInterval(() => this.#tick(), DEFAULT_BROWSER_PING_INTERVAL_MS)
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** Why WebRTC to a peer failed (shown on the page as "WebRTC blocked or failed"). */
  get webrtcErrors(): ReadonlyMap<string, string> {
    return this.#webrtcErrors
  }

  /** The best open connection to `peer`: verified direct WebRTC, else relayed, else anything open. */
  best(peer: string, prefer: 'auto' | 'direct' | 'relay' = 'auto'): Connection | undefined {
    const open = [...this.#conns.values()].filter(
      (c) => c.remotePeer.toString() === peer && c.status === 'open',
    )
    const info = (c: Connection) => this.links.get(c.id)
    const direct = open.find((c) => info(c)?.kind === 'webrtc' && info(c)?.verified === true)
    const relayed = open.find((c) => info(c)?.kind === 'relayed')
    if (prefer === 'direct') return direct
    if (prefer === 'relay') return relayed
    return direct ?? relayed ?? open.find((c) => info(c)?.kind !== 'webrtc')
  }

  /** True when we start WebRTC towards `peer` (smaller peer ID first). */
  initiates(peer: string): boolean {
    return this.#node.peerId.toString() < peer
  }

  /** True unless a WebRTC attempt to `peer` is running or failed recently (its backoff has not passed). */
  upgradeDue(peer: string): boolean {
    const s = this.#upgrades.get(peer)
    return s === undefined || (!s.inFlight && Date.now() >= s.nextAt)
  }

  /** Opens WebRTC to `peer` through the circuit `relayed` (signalling crosses the relay) and verifies it. */
  async upgrade(relayed: Connection): Promise<Connection | undefined> {
    const peer = relayed.remotePeer.toString()
    if (!webRtcAvailable()) return undefined
    const state = this.#upgradeState(peer)
    if (state.inFlight) return undefined
    state.inFlight = true
    const addr = relayed.remoteAddr.toString()
    const circuit = addr.slice(0, addr.indexOf('/p2p-circuit') + '/p2p-circuit'.length)
    const target = multiaddr(`${circuit}/webrtc/p2p/${peer}`)
    this.#events.emit({ event: 'webrtc', result: 'dialing', peer })
    try {
      const conn = await this.#node.dial(target, {
        signal: AbortSignal.timeout(WEBRTC_DIAL_TIMEOUT_MS),
        force: true,
      })
      this.#onOpen(conn)
      const ok = await this.#verify(conn)
      if (ok) {
        state.backoff.reset()
        return conn
      }
      throw new Error('WebRTC connection opened but carried no traffic')
    } catch (err) {
      const message = toError(err).message
      const reason = message.includes('/webrtc-signaling/')
        ? 'the peer does not speak WebRTC (no /webrtc-signaling/0.0.1)'
        : message === 'signal timed out'
          ? 'ICE did not connect (UDP blocked, no usable candidates, or no TURN server)'
          : message
      state.lastError = reason
      state.nextAt = Date.now() + state.backoff.next()
      this.#webrtcErrors.set(peer, reason)
      this.#events.emit({ event: 'webrtc', result: 'failed', peer, reason })
      this.#events.emit({ event: 'path', peer, result: 'relayed', reason: `WebRTC failed: ${reason}` })
      return undefined
    } finally {
      state.inFlight = false
    }
  }

  #role(peer: string): PeerRole {
    if (this.#shardOf(peer) !== undefined) return 'relay'
    const agent = this.#agents.get(peer) ?? ''
    if (agent.startsWith(BROWSER_AGENT)) return 'browser'
    // js-libp2p's agent version ends in ` node/<version>` under Node.js (libp2p/src/user-agent.ts)
    if (/(^| )node\/\d/.test(agent) || agent.startsWith('edgeswarm-node')) return 'node'
    return 'peer'
  }

  #upgradeState(peer: string): UpgradeState {
    let s = this.#upgrades.get(peer)
    if (s === undefined) {
      s = { backoff: new Backoff(UPGRADE_RETRY_MIN_MS, UPGRADE_RETRY_MAX_MS), nextAt: 0, inFlight: false }
      this.#upgrades.set(peer, s)
    }
    return s
  }

  #onOpen(conn: Connection): void {
    if (this.#conns.has(conn.id)) return
    const peer = conn.remotePeer.toString()
    const path = classify(conn, this.#shardOf)
    const toRelay = this.#shardOf(peer) !== undefined
    const info: LinkInfo = {
      ...path,
      id: conn.id,
      peer,
      direction: conn.direction,
      remoteAddr: conn.remoteAddr.toString(),
      openedAt: Date.now(),
      toRelay,
      role: this.#role(peer),
      label: toRelay ? `WebSocket to shard ${this.#shardOf(peer)}` : pathLabel(path, undefined),
    }
    this.#conns.set(conn.id, conn)
    this.links.set(conn.id, info)
    if (path.kind === 'webrtc') {
      void this.#verify(conn)
    } else {
      void this.#measure(conn)
      if (path.kind === 'relayed' && !toRelay) this.#maybeUpgrade(conn)
    }
  }

  #onClose(conn: Connection): void {
    const info = this.links.get(conn.id)
    this.#conns.delete(conn.id)
    this.links.delete(conn.id)
    this.#verifying.delete(conn.id)
    this.#pingFailures.delete(conn.id)
    if (info?.kind === 'webrtc' && info.verified === true && this.best(info.peer) !== undefined) {
      this.#events.emit({
        event: 'path',
        peer: info.peer,
        result: 'fell-back',
        reason: 'WebRTC connection closed',
      })
    }
  }

  #maybeUpgrade(conn: Connection): void {
    if (!webRtcAvailable()) return
    const peer = conn.remotePeer.toString()
    const delay = this.initiates(peer) ? 0 : ANSWERER_GRACE_MS
    setTimeout(() => {
      const state = this.#upgradeState(peer)
      if (conn.status !== 'open' || this.best(peer, 'direct') !== undefined || this.#hasWebRtc(peer)) return
      if (Date.now() < state.nextAt) return
      void this.upgrade(conn)
    }, delay)
  }

  #hasWebRtc(peer: string): boolean {
    return [...this.links.values()].some(
      (l) => l.peer === peer && l.kind === 'webrtc' && l.verified !== false,
    )
  }

  /** Pings a WebRTC connection; direct only if the echo came back. A silent one is closed. */
  #verify(conn: Connection): Promise<boolean> {
    let p = this.#verifying.get(conn.id)
    if (p === undefined) {
      p = this.#doVerify(conn)
      this.#verifying.set(conn.id, p)
    }
    return p
  }

  async #doVerify(conn: Connection): Promise<boolean> {
    const info = this.links.get(conn.id)
    if (info === undefined) return false
    try {
      info.rttMs = await pingConnection(conn, DEFAULT_WEBRTC_VERIFY_TIMEOUT_MS)
      info.verified = true
      info.label = pathLabel(info, true)
      this.#webrtcErrors.delete(info.peer)
      this.#events.emit({ event: 'path', peer: info.peer, result: 'direct', rttMs: Math.round(info.rttMs) })
      return true
    } catch (err) {
      info.verified = false
      info.label = 'WebRTC (no traffic, closed)'
      const reason = `no traffic crossed the WebRTC connection: ${toError(err).message}`
      this.#webrtcErrors.set(info.peer, reason)
      this.#events.emit({ event: 'path', peer: info.peer, result: 'fell-back', reason })
      conn.abort(new Error(reason))
      return false
    }
  }

  async #measure(conn: Connection): Promise<void> {
    const info = this.links.get(conn.id)
    if (info === undefined || conn.status !== 'open' || this.#pinging.has(conn.id)) return
    this.#pinging.add(conn.id)
    try {
      info.rttMs = await pingConnection(conn, DEFAULT_WEBRTC_VERIFY_TIMEOUT_MS)
      if (info.kind !== 'webrtc') info.verified = true
      this.#pingFailures.delete(conn.id)
    } catch (err) {
      const failures = (this.#pingFailures.get(conn.id) ?? 0) + 1
      this.#pingFailures.set(conn.id, failures)
      // one lost ping under a bulk transfer is not a dead link; two in a row are
      if (info.kind === 'webrtc' && conn.status === 'open' && failures >= MAX_PING_FAILURES) {
        info.label = 'WebRTC (stopped answering, closed)'
        const reason = `WebRTC link stopped answering pings: ${toError(err).message}`
        this.#events.emit({ event: 'path', peer: info.peer, result: 'fell-back', reason })
        conn.abort(new Error(reason))
      }
    } finally {
      this.#pinging.delete(conn.id)
    }
  }

  #tick(): void {
    for (const conn of this.#conns.values()) {
      const info = this.links.get(conn.id)
      if (info === undefined) continue
      if (info.kind !== 'webrtc' || info.verified === true) void this.#measure(conn)
      // a relayed link whose WebRTC upgrade failed earlier retries after its backoff
      if (info.kind === 'relayed' && !info.toRelay) this.#maybeUpgrade(conn)
    }
  }
}

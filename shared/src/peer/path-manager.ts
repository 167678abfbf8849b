/**
 * Chooses and verifies the path to each peer: direct whenever a direct connection has carried
 * traffic, the relay otherwise. One implementation for the home node and the browser tab.
 *
 * - Every direct connection (TCP, WS, WebRTC; opened by us, by the peer, or by DCUtR) must echo a ping
 *   on that very connection within `verifyTimeoutMs` before it counts as direct. One that does not is
 *   closed, and the peer stays on (or goes back to) a relayed connection: `path.relay-fallback`.
 *   (@libp2p/webrtc can open a `/webrtc` connection on the receiving side that never carries data.)
 * - A relayed connection to a peer (not a relay) is upgraded at once, before anything else uses it:
 *   the side with the smaller peer ID signals WebRTC over it (ICE does the UDP hole punch); the other
 *   side verifies what arrives and tries itself only after `answererGraceMs` without a direct path.
 *   When identify brings the peer's public TCP/WS addresses, those are dialled too (a unilateral upgrade).
 * - A failed upgrade is retried with the one jittered backoff for as long as the relayed connection
 *   lives (networks change). The relayed connection stays open as the fallback.
 * - Every open connection is pinged every `pingIntervalMs` (RTT for `status` and the page); a direct
 *   one that misses `maxPingFailures` pings in a row is closed and the relay used.
 *
 * @example
 * ```ts
 * const paths = new PathManager({ node, events, webrtc: true, isRelayPeer, shardOf, isPublicAddr, circuitAddrsFor })
 * paths.start()
 * const conn = paths.best(peerId, 'any') // verified direct (lowest RTT), else relayed
 * ```
 */
import type { Connection, PeerId } from '@libp2p/interface'
import * as D from '../defaults.ts'
import { Backoff } from './backoff.ts'
import { classifyAddr, isRelayed, type PathChoice } from './classify.ts'
import type { ConnectionView, ConnState, PathManagerInit, PeerUpgrade } from './path-types.ts'
import { pingConnection } from './ping.ts'
import { dialPublicAddrs, dialWebRTCHedged } from './upgrade-dials.ts'

export type { ConnectionView, PathManagerInit } from './path-types.ts'

export class PathManager {
  readonly #init: PathManagerInit
  readonly #state = new WeakMap<Connection, ConnState>()
  readonly #peers = new Map<string, PeerUpgrade>()
  /** Relayed connections waiting for identify before their upgrade starts (fallback timers). */
  readonly #identifying = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #verifyMs: number
  readonly #upgradeMs: number
  #timer?: ReturnType<typeof setInterval>
  #stopped = false

  constructor(init: PathManagerInit) {
    this.#init = init
    this.#verifyMs = init.verifyTimeoutMs ?? D.DEFAULT_PATH_VERIFY_TIMEOUT_MS
    this.#upgradeMs = init.upgradeTimeoutMs ?? D.DEFAULT_UPGRADE_TIMEOUT_MS
  }

  start(): void {
    const { node } = this.#init
    node.addEventListener('connection:open', (evt) => this.#onOpen(evt.detail))
    node.addEventListener('connection:close', (evt) => this.#onClose(evt.detail))
    node.addEventListener('peer:identify', (evt) => this.#onIdentify(evt.detail.connection))
    for (const conn of node.getConnections()) this.#onOpen(conn)
    this.#timer = setInterval(
      () => this.#tick(),
      this.#init.pingIntervalMs ?? D.DEFAULT_PATH_PING_INTERVAL_MS,
    )
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    for (const p of this.#peers.values()) if (p.timer !== undefined) clearTimeout(p.timer)
    for (const timer of this.#identifying.values()) clearTimeout(timer)
  }

  describe(conn: Connection): ConnectionView {
    const info = classifyAddr(conn.remoteAddr)
    const state = this.#state.get(conn)
    const shard = info.relay === undefined ? undefined : this.#init.shardOf(info.relay)
    return {
      peer: conn.remotePeer.toString(),
      id: conn.id,
      path: info.kind,
      ...(info.relay === undefined ? {} : { relay: info.relay }),
      ...(shard === undefined ? {} : { shard }),
      remoteAddr: conn.remoteAddr.toString(),
      direction: conn.direction,
      ...(state?.verified === undefined ? {} : { verified: state.verified }),
      ...(state?.rttMs === undefined ? {} : { rttMs: state.rttMs }),
      openedAt: conn.timeline.open,
    }
  }

  /**
   * Why the last direct attempt to each peer failed (peers with a working direct path are absent), the
   * most recent failure last: a page that lists only a few must list the ones that just happened.
   */
  upgradeErrors(): Array<[peer: string, reason: string]> {
    return [...this.#peers]
      .filter(([, p]) => p.error !== undefined)
      .sort(([, a], [, b]) => (a.errorAt ?? 0) - (b.errorAt ?? 0))
      .map(([peer, p]) => [peer, p.error!])
  }

  /** The connection to use: `direct` a verified direct one (lowest RTT), `relayed` a relayed one, `any` either. */
  best(peer: PeerId, choice: PathChoice = 'any'): Connection | undefined {
    const conns = this.#init.node.getConnections(peer).filter((c) => c.status === 'open')
    const direct = conns
      .filter((c) => !isRelayed(c.remoteAddr) && this.#state.get(c)?.verified === true)
      .sort((a, b) => (this.#state.get(a)?.rttMs ?? Infinity) - (this.#state.get(b)?.rttMs ?? Infinity))
    const relayed = conns.find((c) => isRelayed(c.remoteAddr))
    if (choice === 'direct') return direct[0]
    if (choice === 'relayed') return relayed
    return direct[0] ?? relayed
  }

  /**
   * How long opening a stream on this relayed connection may take before it counts as dead (ms):
   * DEFAULT_RELAYED_STREAM_OPEN_RTTS times its last ping, within [DEFAULT_RELAYED_STREAM_OPEN_MIN_MS,
   * DEFAULT_RELAYED_STREAM_OPEN_TIMEOUT_MS]; the cap when it was never pinged.
   */
  relayedOpenTimeoutMs(conn: Connection): number {
    const rtt = this.#state.get(conn)?.rttMs
    if (rtt === undefined) return D.DEFAULT_RELAYED_STREAM_OPEN_TIMEOUT_MS
    const scaled = Math.ceil(rtt * D.DEFAULT_RELAYED_STREAM_OPEN_RTTS)
    return Math.min(
      D.DEFAULT_RELAYED_STREAM_OPEN_TIMEOUT_MS,
      Math.max(D.DEFAULT_RELAYED_STREAM_OPEN_MIN_MS, scaled),
    )
  }

  relayed(peer: PeerId): Connection | undefined {
    return this.best(peer, 'relayed')
  }

  hasVerifiedDirect(peer: PeerId): boolean {
    return this.best(peer, 'direct') !== undefined
  }

  /** Pings a connection and remembers the RTT; false (never throws) when no echo came back. */
  async measure(conn: Connection): Promise<boolean> {
    const state = this.#stateOf(conn)
    if (state.checking !== undefined) return state.checking
    state.checking = (this.#init.probe ?? pingConnection)(conn, this.#verifyMs)
      .then((rtt) => {
        state.rttMs = rtt
        state.failures = 0
        return true
      })
      .catch(() => {
        state.failures++
        return false
      })
      .finally(() => {
        state.checking = undefined
      })
    return state.checking
  }

  /** Verifies a direct connection by traffic; closes it and falls back to the relay when dead. */
  async verify(conn: Connection): Promise<boolean> {
    // a relayed connection is never "direct": measure it, nothing more
    if (isRelayed(conn.remoteAddr)) return this.measure(conn)
    const ok = await this.measure(conn)
    const state = this.#stateOf(conn)
    const was = state.verified
    state.verified = ok
    const peer = conn.remotePeer
    const path = classifyAddr(conn.remoteAddr).kind
    if (ok) {
      this.#init.onVerified?.(conn)
      const p = this.#peer(peer.toString())
      p.error = undefined
      p.backoff.reset()
      if (p.timer !== undefined) clearTimeout(p.timer)
      for (const wake of p.waiters) wake()
      if (was !== true) {
        this.#init.events('path.direct', {
          peer: peer.toString(),
          path,
          remoteAddr: conn.remoteAddr.toString(),
          ...(state.rttMs === undefined ? {} : { rttMs: state.rttMs }),
          ...(p.relayedAt === undefined ? {} : { afterMs: Math.round(Date.now() - p.relayedAt) }),
          ...(p.relayedAt === undefined || p.attempt === undefined
            ? {}
            : { startMs: Math.round(p.attempt.startedAt - p.relayedAt) }),
          ...(p.attempt?.dialMs === undefined ? {} : { dialMs: p.attempt.dialMs }),
          ...(p.attempt?.phases === undefined ? {} : { phases: p.attempt.phases }),
        })
      }
      return true
    }
    const reason = `${path} connection carried no traffic (no ping echo within ${this.#verifyMs} ms)`
    if (this.hasVerifiedDirect(peer)) {
      // a spare direct connection (e.g. the answering side of a hedged WebRTC attempt that lost): the
      // peer is reached directly already, nothing falls back
      conn.abort(new Error(reason))
      return false
    }
    const failed = this.#peer(peer.toString())
    failed.error = reason
    failed.errorAt = Date.now()
    // an answerer waiting for the peer's WebRTC attempt tries itself now: that attempt is what just died
    for (const wake of failed.graceWaiters) wake()
    conn.abort(new Error(reason))
    await this.#fallBack(peer, reason)
    return false
  }

  /** Tries to get a verified direct connection to `peer` (one attempt at a time per peer). */
  upgrade(peer: PeerId): Promise<void> {
    const p = this.#peer(peer.toString())
    p.running ??= this.#upgrade(peer, p).finally(() => {
      p.running = undefined
      for (const wake of p.settledWaiters) wake()
    })
    return p.running
  }

  /** Starts timing a direct attempt to `peer` (reported by `path.direct`). */
  #attempt(peer: PeerId): NonNullable<PeerUpgrade['attempt']> {
    const p = this.#peer(peer.toString())
    p.attempt = { startedAt: Date.now() }
    return p.attempt
  }

  #stateOf(conn: Connection): ConnState {
    let state = this.#state.get(conn)
    if (state === undefined) {
      state = { failures: 0 }
      this.#state.set(conn, state)
    }
    return state
  }

  #peer(id: string): PeerUpgrade {
    let p = this.#peers.get(id)
    if (p === undefined) {
      p = {
        backoff: new Backoff(D.DEFAULT_UPGRADE_RETRY_MIN_MS, D.DEFAULT_UPGRADE_RETRY_MAX_MS),
        waiters: new Set(),
        graceWaiters: new Set(),
        settledWaiters: new Set(),
      }
      this.#peers.set(id, p)
    }
    return p
  }

  #onOpen(conn: Connection): void {
    if (this.#stopped) return
    const peer = conn.remotePeer.toString()
    if (this.#init.isRelayPeer(peer)) return
    if (isRelayed(conn.remoteAddr)) {
      // upgrade as soon as identify finished on it (one round trip; a WebRTC offer sent before that
      // was measured to stall), before any bulk transfer queues on this connection; identify that
      // never finishes must not keep the peer relayed
      const p = this.#peer(peer)
      p.relayedAt ??= Date.now()
      const timer = setTimeout(() => this.#onIdentify(conn), this.#verifyMs)
      ;(timer as { unref?: () => void }).unref?.()
      this.#identifying.set(conn.id, timer)
    } else {
      void this.verify(conn)
    }
  }

  #onClose(conn: Connection): void {
    const waiting = this.#identifying.get(conn.id)
    if (waiting !== undefined) clearTimeout(waiting)
    this.#identifying.delete(conn.id)
    const peer = conn.remotePeer.toString()
    if (this.#init.node.getConnections(conn.remotePeer).some((c) => c.status === 'open')) return
    const p = this.#peers.get(peer)
    if (p?.timer !== undefined) clearTimeout(p.timer)
    this.#peers.delete(peer)
  }

  /** Identify finished on a relayed connection: the peer's addresses and protocols are known, upgrade. */
  #onIdentify(conn: Connection): void {
    const timer = this.#identifying.get(conn.id)
    if (timer !== undefined) clearTimeout(timer)
    this.#identifying.delete(conn.id)
    const peer = conn.remotePeer
    const relayedAt = this.#peers.get(peer.toString())?.relayedAt
    if (timer !== undefined && relayedAt !== undefined) {
      this.#peer(peer.toString()).identifyMs ??= Date.now() - relayedAt
    }
    if (this.#stopped || !isRelayed(conn.remoteAddr) || this.#init.isRelayPeer(peer.toString())) return
    if (this.relayed(peer) === undefined || this.hasVerifiedDirect(peer)) return
    void this.upgrade(peer)
  }

  async #upgrade(peer: PeerId, p: PeerUpgrade): Promise<void> {
    if (this.hasVerifiedDirect(peer) || this.relayed(peer) === undefined || this.#stopped) return
    const reasons: string[] = []
    const viaPublic = await this.#tryPublicAddrs(peer)
    if (viaPublic === true) return
    if (viaPublic !== undefined) reasons.push(viaPublic)
    if (!this.#init.webrtc) reasons.push('WebRTC is not available here')
    else {
      if (this.#init.node.peerId.toString() > peer.toString() && p.backoff.attempts === 0) {
        // the peer starts WebRTC; verify what arrives, and try ourselves only if nothing does
        await this.#waitDirect(
          p,
          this.#init.answererGraceMs ?? D.DEFAULT_UPGRADE_ANSWERER_GRACE_MS,
          'failure',
        )
        if (this.hasVerifiedDirect(peer) || this.#stopped) return
      }
      const relayed = this.relayed(peer)
      if (relayed === undefined) return
      const viaWebRTC = await this.#tryWebRTC(peer, relayed)
      if (viaWebRTC === true) return
      reasons.push(viaWebRTC)
    }
    if (this.hasVerifiedDirect(peer) || this.#stopped) return
    const relayed = this.relayed(peer)
    const shard = relayed === undefined ? undefined : this.describe(relayed).shard
    const retry = this.#init.webrtc && relayed !== undefined
    const retryInMs = retry ? p.backoff.next() : undefined
    p.error = reasons.at(-1) ?? 'no direct path'
    p.errorAt = Date.now()
    this.#init.events(
      'path.relay-fallback',
      {
        peer: peer.toString(),
        reason: p.error,
        attempts: reasons,
        ...(shard === undefined ? {} : { shard }),
        ...(retryInMs === undefined ? {} : { retryInMs }),
      },
      'warn',
    )
    if (retryInMs !== undefined) {
      if (p.timer !== undefined) clearTimeout(p.timer)
      p.timer = setTimeout(() => void this.upgrade(peer), retryInMs)
      ;(p.timer as { unref?: () => void }).unref?.()
    }
  }

  /**
   * Until the upgrade under way for `peer` (identify on its relayed connection, then the attempt) has
   * ended or a direct path verified, at most until `ms` after the relayed connection opened: a bulk
   * transfer started on the relayed connection meanwhile queues the upgrade's own signalling behind it
   * (docs/NOTES.md, "NAT, DCUtR and WebRTC"). Resolves at once when nothing is under way.
   */
  async whenSettled(peer: PeerId, ms: number): Promise<void> {
    const p = this.#peers.get(peer.toString())
    if (p === undefined || this.hasVerifiedDirect(peer)) return
    const identifying = this.#init.node.getConnections(peer).some((c) => this.#identifying.has(c.id))
    if (p.running === undefined && !identifying) return
    const left = (p.relayedAt ?? Date.now()) + ms - Date.now()
    if (left <= 0) return
    await this.#waitDirect(p, left, 'attempt-end')
  }

  /** Resolves true as soon as a verified direct connection to `peer` exists, false after `ms`. */
  async whenDirect(peer: PeerId, ms: number): Promise<boolean> {
    if (this.hasVerifiedDirect(peer)) return true
    await this.#waitDirect(this.#peer(peer.toString()), ms)
    return this.hasVerifiedDirect(peer)
  }

  /**
   * Until a direct path verified or `ms` passed, or also (`failure`) a direct connection failed its check,
   * or (`attempt-end`) the upgrade attempt ended.
   */
  #waitDirect(p: PeerUpgrade, ms: number, also?: 'failure' | 'attempt-end'): Promise<void> {
    const extra = also === 'failure' ? p.graceWaiters : also === 'attempt-end' ? p.settledWaiters : undefined
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        p.waiters.delete(done)
        extra?.delete(done)
        resolve()
      }
      p.waiters.add(done)
      extra?.add(done)
    })
  }

  /** True on success, a reason string on failure, undefined when the peer has no public address. */
  async #tryPublicAddrs(peer: PeerId): Promise<true | string | undefined> {
    const attempt = this.#attempt(peer)
    const dialled = await dialPublicAddrs(this.#init.node, peer, this.#init.isPublicAddr, this.#upgradeMs)
    attempt.dialMs = Math.round(Date.now() - attempt.startedAt)
    if (dialled === undefined || typeof dialled === 'string') return dialled
    return (await this.verify(dialled)) ? true : 'direct TCP/WS connection carried no traffic'
  }

  async #tryWebRTC(peer: PeerId, relayed: Connection): Promise<true | string> {
    const attempt = this.#attempt(peer)
    attempt.phases = {}
    const dialled = await dialWebRTCHedged(
      this.#init.node,
      peer,
      relayed,
      this.#upgradeMs,
      this.#hedgeMs(peer, relayed),
      attempt.phases,
    )
    attempt.dialMs = Math.round(Date.now() - attempt.startedAt)
    if (typeof dialled === 'string') return dialled
    return (await this.verify(dialled)) ? true : 'WebRTC connection carried no traffic'
  }

  /**
   * When a WebRTC dial that has not connected gets a second attempt: DEFAULT_WEBRTC_HEDGE_RTTS round
   * trips of the relayed connection (its last ping, else how long identify took on it), within
   * [DEFAULT_WEBRTC_HEDGE_MIN_MS, DEFAULT_WEBRTC_HEDGE_MAX_MS]; the cap when neither is known.
   */
  #hedgeMs(peer: PeerId, relayed: Connection): number {
    const rtt = this.#state.get(relayed)?.rttMs ?? this.#peers.get(peer.toString())?.identifyMs
    if (rtt === undefined) return D.DEFAULT_WEBRTC_HEDGE_MAX_MS
    return Math.min(
      D.DEFAULT_WEBRTC_HEDGE_MAX_MS,
      Math.max(D.DEFAULT_WEBRTC_HEDGE_MIN_MS, Math.ceil(rtt * D.DEFAULT_WEBRTC_HEDGE_RTTS)),
    )
  }

  async #fallBack(peer: PeerId, reason: string): Promise<void> {
    let relayed = this.relayed(peer)
    if (relayed === undefined) {
      const addrs = this.#init.circuitAddrsFor(peer)
      if (addrs.length > 0) {
        relayed = await this.#init.node
          .dial(addrs, { signal: AbortSignal.timeout(this.#upgradeMs), force: true })
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

  /** Pings every open connection; a verified direct one that missed too many pings in a row is dead. */
  #tick(): void {
    for (const conn of this.#init.node.getConnections()) {
      if (this.#stopped) return
      if (conn.status !== 'open') continue
      const state = this.#state.get(conn)
      const direct = !isRelayed(conn.remoteAddr)
      const toRelay = this.#init.isRelayPeer(conn.remotePeer.toString())
      if (direct && !toRelay && state?.verified !== true) continue
      void this.measure(conn).then((ok) => {
        if (ok || !direct || conn.status !== 'open') return
        if (this.#stateOf(conn).failures < D.DEFAULT_PATH_MAX_PING_FAILURES) return
        // a silent relay: close it, so the reservation keeper moves to another one now
        if (toRelay) conn.abort(new Error('relay connection stopped answering pings'))
        else void this.verify(conn)
      })
    }
  }
}

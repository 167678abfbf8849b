/**
 * Relay side of private mode: challenges peers with `/edgeswarm/auth/1.0.0` and remembers the verdict
 * until the peer disconnects; the relay's connection gater awaits it before granting a reservation or
 * a circuit. Two modes:
 * - `on-connect` (the edge shards, which never dial): every peer is challenged as soon as it connects. A
 *   peer that has not proven the credential after `graceMs` is disconnected; with `graceMs` 0, as soon as
 *   its challenge fails (it cannot answer in 0 ms).
 * - `on-demand` (a home node's `--relay`, which also dials out: its edge links, other peers): a peer is
 *   challenged only when it first asks for a reservation or a circuit, and nobody is hung up on, so the
 *   connections the node opened itself are left alone. `graceMs` only bounds the exchange.
 *
 * @example
 * ```ts
 * const gate = new RelayAuthGate({ key: await importNetworkKey(secret), graceMs: 10_000, onEvent, onError })
 * gate.attach(node) // after createLibp2p; then guard.gater asks gate.isAuthorized(peer)
 * ```
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { AuthStatus, challengePeer, type NetworkKey } from '../auth.ts'
import { AUTH_PROTOCOL } from '../constants.ts'
import type { RelayEventSink } from './events.ts'

export type RelayAuthMode = 'on-connect' | 'on-demand'

export interface RelayAuthGateInit {
  key: NetworkKey
  /**
   * When to challenge: every connecting peer at once (with the grace hang-up), or a peer's first
   * reservation/circuit request (no hang-up).
   * @default 'on-connect'
   */
  mode?: RelayAuthMode
  /** How long an unauthenticated peer may stay connected (ms); 0 = until its challenge fails. */
  graceMs: number
  onEvent: RelayEventSink
  /** Called when a peer is closed for not authenticating in time (counts `unauthorized`). */
  onExpired?: (peer: PeerId) => void
  /** Unexpected failures (never sent to peers). */
  onError: (context: string, err: unknown) => void
}

/** Shortest time a challenge may take (ms), even with a shorter (or zero) grace period. */
const AUTH_EXCHANGE_MIN_MS = 5_000

interface PeerAuth {
  verdict: Promise<boolean>
  granted: boolean
  timer?: ReturnType<typeof setTimeout>
}

export class RelayAuthGate {
  readonly #init: RelayAuthGateInit
  readonly #peers = new Map<string, PeerAuth>()
  #node?: Libp2p

  constructor(init: RelayAuthGateInit) {
    this.#init = init
  }

  attach(node: Libp2p): void {
    this.#node = node
    if (this.#mode === 'on-connect') {
      node.addEventListener('connection:open', (evt) => this.#onConnection(evt.detail))
    }
    node.addEventListener('peer:disconnect', (evt) => {
      const key = evt.detail.toString()
      const state = this.#peers.get(key)
      if (state?.timer !== undefined) clearTimeout(state.timer)
      this.#peers.delete(key)
    })
  }

  get #mode(): RelayAuthMode {
    return this.#init.mode ?? 'on-connect'
  }

  /**
   * Resolves once the peer's challenge is decided: on-connect, false for peers never challenged;
   * on-demand, the first call challenges the peer over one of its open direct connections.
   */
  async isAuthorized(peer: PeerId): Promise<boolean> {
    const state = this.#peers.get(peer.toString())
    if (state !== undefined) return state.verdict
    if (this.#mode === 'on-connect') return false
    const connection = this.#node
      ?.getConnections(peer)
      .find(
        (c) =>
          c.status === 'open' && c.limits === undefined && !c.remoteAddr.toString().includes('/p2p-circuit'),
      )
    if (connection === undefined) return false
    const fresh: PeerAuth = { granted: false, verdict: Promise.resolve(false) }
    fresh.verdict = this.#challenge(connection).then((ok) => {
      fresh.granted = ok
      return ok
    })
    this.#peers.set(peer.toString(), fresh)
    return fresh.verdict
  }

  #onConnection(connection: Connection): void {
    const key = connection.remotePeer.toString()
    if (this.#peers.has(key) || connection.limits !== undefined) return
    const state: PeerAuth = {
      granted: false,
      verdict: Promise.resolve(false),
    }
    if (this.#init.graceMs > 0) {
      state.timer = setTimeout(() => this.#expire(connection.remotePeer), this.#init.graceMs)
    }
    state.verdict = this.#challenge(connection).then((ok) => {
      state.granted = ok
      if (ok && state.timer !== undefined) clearTimeout(state.timer)
      else if (!ok && this.#init.graceMs === 0) this.#expire(connection.remotePeer)
      return ok
    })
    this.#peers.set(key, state)
  }

  async #challenge(connection: Connection): Promise<boolean> {
    const node = this.#node
    if (node === undefined) return false
    const signal = AbortSignal.timeout(Math.max(this.#init.graceMs, AUTH_EXCHANGE_MIN_MS))
    let status: number
    try {
      const stream = await connection.newStream(AUTH_PROTOCOL, { signal })
      status = await challengePeer(stream, {
        key: this.#init.key,
        self: node.peerId,
        remote: connection.remotePeer,
        signal,
      })
    } catch {
      // the peer does not speak the protocol, closed, or timed out: not authenticated
      status = AuthStatus.MALFORMED
    }
    const ok = status === AuthStatus.OK
    this.#init.onEvent({
      event: 'auth',
      result: ok ? 'granted' : 'denied',
      peer: connection.remotePeer.toString(),
      status,
    })
    return ok
  }

  #expire(peer: PeerId): void {
    const state = this.#peers.get(peer.toString())
    if (state === undefined || state.granted) return
    this.#init.onExpired?.(peer)
    void this.#node?.hangUp(peer).catch((err: unknown) => this.#init.onError('auth grace hang-up', err))
  }
}

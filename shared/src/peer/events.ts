/**
 * The one event vocabulary of a peer (home node and browser tab alike): names `area.what`, stable
 * fields. The node writes them to `events.jsonl` (one JSON line each, with `ts` and `level`); the page
 * keeps them as its decision log (`window.edgeswarm.events()`); docs/ARCHITECTURE.md lists them.
 * Tests assert on these names and fields and on data that crossed a connection, never on prose.
 * Overlay services (shared/src/services) emit their own `area.what` names through the same sink.
 *
 * @example
 * ```ts
 * const emit: PeerEvents = (name, fields, level) => console.log(name, fields, level)
 * emit('reservation.made', { shard: '0', relay: '12D3KooW...' })
 * ```
 */
import type { EventLevel, EventSink } from './service.ts'

/** Where a reservation is: an edge shard (`shard`) or a home super-peer (`kind: 'super-peer'`). */
type RelayRef = { shard: string; relay: string } | { kind: 'super-peer'; relay: string }

export type PeerEventMap = {
  /** The bootstrap document was read (`refresh` on re-reads). */
  'bootstrap.loaded': {
    network: string
    private: boolean
    relays: number
    peers: number
    superPeers: number
    refresh?: boolean
  }
  /** Reading the bootstrap document failed; `retryInMs` when a retry is scheduled. */
  'bootstrap.failed': { reason: string; retryInMs?: number }
  /** The peer's identity (browser: `created` on first visit, `reset` by the user). */
  'identity.loaded': { peerId: string; created: boolean }
  'identity.reset': Record<string, never>
  /** This runtime cannot do WebRTC: every link stays relayed. */
  'webrtc.unavailable': { reason: string }
  'reservation.made': RelayRef
  'reservation.lost': RelayRef & { reason: string }
  /** The relay answered with a refusal status (e.g. RESERVATION_REFUSED: shard full). */
  'reservation.refused': RelayRef & { reason: string; retryInMs: number }
  /** Reserving failed otherwise (unreachable, timed out); tried again in `retryInMs`. */
  'reservation.retry': RelayRef & { reason: string; retryInMs: number }
  /**
   * A direct connection carried a ping: the peer is reached directly from now on. `afterMs` from the
   * relayed connection opening, split into `startMs` (until the upgrade began: identify), `dialMs` (the
   * direct dial: TCP/WS, or WebRTC signalling + ICE + DTLS + noise) and the ping (`rttMs`); a WebRTC
   * dial adds `phases` (ms into the dial at which each of @libp2p/webrtc's steps began, upgrade-dials.ts).
   */
  'path.direct': {
    peer: string
    path: string
    remoteAddr: string
    rttMs?: number
    afterMs?: number
    startMs?: number
    dialMs?: number
    phases?: Record<string, number>
  }
  /** No working direct path (dead WebRTC, failed upgrades): the peer is (still) reached through a relay. */
  'path.relay-fallback': {
    peer: string
    reason: string
    shard?: string
    relayed?: boolean
    attempts?: string[]
    retryInMs?: number
  }
  /** A send/ping failed on a connection that died; tried again on a fresh one. */
  'path.retry': { peer: string; reason: string; gone: boolean }
  'transfer.received': {
    peer: string
    bytes: number
    sha256: string
    complete: boolean
    path: string
    remoteAddr: string
  }
  'transfer.sent': { peer: string; bytes: number; path: string; ok: boolean; ms?: number; reason?: string }
}

export type PeerEventName = keyof PeerEventMap

/** A typed emitter of the core's events; any `EventSink` is one. */
export type PeerEvents = <K extends PeerEventName>(
  name: K,
  fields: PeerEventMap[K],
  level?: EventLevel,
) => void

/** One event as logged: name in `event`, its fields, time and level. */
export type StampedEvent = {
  [K in PeerEventName]: { event: K; ts: number; level: EventLevel } & PeerEventMap[K]
}[PeerEventName]

export function peerEvents(sink: EventSink): PeerEvents {
  return (name, fields, level) => sink(name, fields as Record<string, unknown>, level)
}

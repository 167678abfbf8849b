/**
 * Decisions a relay logs (one structured event each) and the stable refusal labels it counts.
 * The worker prints each event as one JSON line; a Node relay sends them to its debug logger.
 */

/** Refusal reasons; stable metric labels (the worker's `ShardStats.refusals` keys). */
export type RelayRefusalReason =
  | 'reservation_limit'
  | 'circuit_limit'
  | 'circuit_bytes'
  | 'circuit_duration'
  | 'connections_per_ip'
  | 'connection_limit'
  | 'unauthorized'
  | 'malformed'

export type RelayEvent =
  | {
      event: 'reservation'
      result: 'accepted' | 'refreshed' | 'refused' | 'freed' | 'expired'
      peer: string
      reason?: RelayRefusalReason | 'disconnected'
    }
  | {
      event: 'circuit'
      result: 'opened' | 'closed' | 'cut' | 'refused'
      src: string
      dst?: string
      reason?: RelayRefusalReason
      bytes?: number
      durationMs?: number
    }
  | {
      event: 'connection'
      result: 'refused' | 'closed'
      reason: RelayRefusalReason
      ip?: string
      peer?: string
    }
  | { event: 'auth'; result: 'granted' | 'denied'; peer: string; status?: number }

export type RelayEventSink = (event: RelayEvent) => void

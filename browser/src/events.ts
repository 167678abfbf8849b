/**
 * Decisions the peer makes, as a few structured events with stable names and fields (tests assert on
 * these and on data that crossed a connection, never on page prose). Also printed to the console.
 */

export type PeerEvent =
  | {
      event: 'bootstrap'
      result: 'ok' | 'error'
      relays?: number
      peers?: number
      reason?: string
      retryInMs?: number
    }
  | {
      event: 'relay'
      shard: string
      result: 'connected' | 'reserved' | 'refused' | 'lost' | 'unreachable'
      reason?: string
      retryInMs?: number
    }
  | {
      event: 'path'
      peer: string
      result: 'direct' | 'relayed' | 'fell-back'
      shard?: string
      reason?: string
      rttMs?: number
    }
  | { event: 'webrtc'; result: 'unavailable' | 'failed' | 'dialing'; peer?: string; reason?: string }
  | {
      event: 'transfer'
      peer: string
      direction: 'in' | 'out'
      bytes: number
      path: string
      ok: boolean
      ms?: number
    }
  | { event: 'identity'; result: 'loaded' | 'created' | 'reset'; peerId?: string }
  /** Events of the overlay services (shared/src/services), named `area.what` like the node's. */
  | { event: `${string}.${string}`; level?: string; [field: string]: unknown }

export type StampedEvent = PeerEvent & { ts: number }

const MAX_EVENTS = 200

export class EventLog {
  readonly events: StampedEvent[] = []
  #listeners = new Set<(e: StampedEvent) => void>()

  emit(e: PeerEvent): void {
    const stamped = { ts: Date.now(), ...e } as StampedEvent
    this.events.push(stamped)
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS)
    console.info('edgeswarm:browser', JSON.stringify(stamped))
    for (const l of this.#listeners) l(stamped)
  }

  subscribe(listener: (e: StampedEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

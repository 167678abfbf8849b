/**
 * The page's decision log: the peer's events (names and fields typed once in
 * shared/src/peer/events.ts, the same as the node's events.jsonl) plus the overlay services' own
 * `area.what` events, kept in memory (bounded), printed to the console and pushed to the view.
 */
import { DEFAULT_EVENT_HISTORY } from '#shared/defaults.ts'
import type { StampedEvent } from '#shared/peer/events.ts'
import type { EventSink } from '#shared/peer/service.ts'

export type { StampedEvent } from '#shared/peer/events.ts'

export class EventLog {
  readonly events: StampedEvent[] = []
  readonly #listeners = new Set<(e: StampedEvent) => void>()

  /** The sink the peer core and the services emit into. */
  readonly sink: EventSink = (name, fields = {}, level = 'info') => {
    const stamped = { ts: Date.now(), level, ...fields, event: name } as StampedEvent
    this.events.push(stamped)
    if (this.events.length > DEFAULT_EVENT_HISTORY)
      this.events.splice(0, this.events.length - DEFAULT_EVENT_HISTORY)
    console.info('edgeswarm:browser', JSON.stringify(stamped))
    for (const l of this.#listeners) l(stamped)
  }

  subscribe(listener: (e: StampedEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

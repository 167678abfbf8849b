/**
 * The client side of circuit-relay-v2 (4.x): its transport's `reservationStore`, which has no public
 * API for reserving on a relay on our own schedule: `addRelay(peer, type)`, `hasReservation(peer)`,
 * `relayFilter` (a bloom filter of relays it gave up on), and its `relay:removed` event. Contract test:
 * relay-server.test.ts (a real node's circuit transport has them).
 */
import type { Libp2p, Listener, PeerId, Transport } from '@libp2p/interface'
import { transportManagerOf } from './components.ts'

export interface ReservationStoreLike extends EventTarget {
  addRelay: (peer: PeerId, type: 'configured' | 'discovered') => Promise<unknown>
  hasReservation: (peer: PeerId) => boolean
  relayFilter?: { remove?: (bytes: Uint8Array) => unknown }
}

/** The circuit transport's reservation store, or a loud error. */
export function reservationStoreOf(transport: Transport): ReservationStoreLike {
  const store = (transport as unknown as { reservationStore?: ReservationStoreLike }).reservationStore
  if (
    store === undefined ||
    typeof store.addRelay !== 'function' ||
    typeof store.hasReservation !== 'function' ||
    typeof store.addEventListener !== 'function'
  ) {
    throw new Error(
      'unsupported @libp2p/circuit-relay-v2 transport: no reservationStore.addRelay/hasReservation',
    )
  }
  return store
}

/** The circuit listener bound to `relay`, if one was created (circuit-relay-v2's listener has `relay`). */
export function relayOfListener(listener: unknown): PeerId | undefined {
  return (listener as { relay?: PeerId }).relay
}

/** The circuit listener bound to `relay` on `node`, if one was created. */
export function circuitListenerFor(node: Libp2p, relay: PeerId): Listener | undefined {
  return transportManagerOf(node)
    .getListeners()
    .find((l) => relayOfListener(l)?.equals(relay) === true)
}

/**
 * The peer core's reaches into js-libp2p internals (circuit-relay-v2 4.x, libp2p 3.3), in one place so
 * an upgrade that moves them fails here, loudly:
 * - the circuit transport's `reservationStore` (`addRelay`, `hasReservation`, `relayFilter`, the
 *   `relay:removed` event): re-reserving on a relay whose listener exists, on our own schedule;
 * - `components.transportManager` (`listen`, `getListeners`): one circuit listener per relay;
 * - `components.addressManager` (`confirmObservedAddr`): confirming addresses our own evidence proved.
 */
import type { Libp2p, Listener, PeerId, Transport } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface ReservationStoreLike extends EventTarget {
  addRelay: (peer: PeerId, type: 'configured' | 'discovered') => Promise<unknown>
  hasReservation: (peer: PeerId) => boolean
  relayFilter?: { remove?: (bytes: Uint8Array) => unknown }
}

export function reservationStoreOf(transport: Transport): ReservationStoreLike {
  const store = (transport as unknown as { reservationStore?: ReservationStoreLike }).reservationStore
  if (store === undefined || typeof store.addRelay !== 'function') {
    throw new Error('unsupported @libp2p/circuit-relay-v2 transport: no reservationStore.addRelay')
  }
  return store
}

export interface TransportManagerLike {
  listen: (addrs: Multiaddr[]) => Promise<void>
  getListeners: () => Listener[]
}

export function transportManagerOf(node: Libp2p): TransportManagerLike {
  return (node as unknown as { components: { transportManager: TransportManagerLike } }).components
    .transportManager
}

/** The circuit listener bound to `relay`, if one was created. */
export function circuitListenerFor(node: Libp2p, relay: PeerId): Listener | undefined {
  return transportManagerOf(node)
    .getListeners()
    .find((l) => (l as unknown as { relay?: PeerId }).relay?.equals(relay) === true)
}

interface AddressManagerLike {
  getAddressesWithMetadata: () => Array<{ multiaddr: Multiaddr; type: string; verified: boolean }>
  confirmObservedAddr: (addr: Multiaddr, options: { type: 'transport' }) => void
}

/**
 * libp2p announces a public listen address only once it is verified (AutoNAT, which never decides with
 * one relay). When our own evidence proves `host` public, confirm the listen addresses on it.
 */
export function confirmListenAddrs(node: Libp2p, host: string): void {
  const am = (node as unknown as { components: { addressManager: AddressManagerLike } }).components
    .addressManager
  for (const a of am.getAddressesWithMetadata()) {
    const ip = a.multiaddr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
    if (a.type === 'transport' && !a.verified && ip === host) {
      am.confirmObservedAddr(a.multiaddr, { type: 'transport' })
    }
  }
}

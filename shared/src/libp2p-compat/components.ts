/**
 * `node.components`: the internal component bag of a js-libp2p node (not on the public `Libp2p`
 * interface). We use three parts of it, each through one accessor here; everything else goes through
 * public API. Contract test: components.test.ts (a real node has them, with these methods).
 * - addressManager: confirm listen addresses our own evidence proved public (AutoNAT never decides
 *   with one relay: docs/NOTES.md, "NAT, DCUtR and WebRTC");
 * - registrar.getHandler: the stock hop handler, to (un)register it as reachability changes;
 * - transportManager: `listen` on a relay's `/p2p-circuit` and find the listener of one relay.
 */
import type { Libp2p, Listener, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface AddressManagerLike {
  getAddressesWithMetadata: () => Array<{ multiaddr: Multiaddr; type: string; verified: boolean }>
  confirmObservedAddr: (addr: Multiaddr, options: { type: 'transport' }) => void
}

export interface RegistrarLike {
  getHandler: (protocol: string) => { handler: StreamHandler; options: StreamHandlerOptions }
}

export interface TransportManagerLike {
  listen: (addrs: Multiaddr[]) => Promise<void>
  getListeners: () => Listener[]
}

function part<T>(node: Libp2p, name: string, method: string): T {
  const value = (node as unknown as { components?: Record<string, Record<string, unknown>> }).components?.[
    name
  ]
  if (typeof value?.[method] !== 'function') {
    throw new Error(`libp2p-compat: node.components.${name}.${method} is missing (js-libp2p changed?)`)
  }
  return value as T
}

export function addressManagerOf(node: Libp2p): AddressManagerLike {
  return part(node, 'addressManager', 'confirmObservedAddr')
}

export function registrarOf(node: Libp2p): RegistrarLike {
  return part(node, 'registrar', 'getHandler')
}

export function transportManagerOf(node: Libp2p): TransportManagerLike {
  return part(node, 'transportManager', 'getListeners')
}

/** The relay a circuit-relay listener reserved on (a field of circuit-relay-v2's listener). */
export function listenerRelay(listener: Listener): { equals: (other: unknown) => boolean } | undefined {
  return (listener as unknown as { relay?: { equals: (other: unknown) => boolean } }).relay
}

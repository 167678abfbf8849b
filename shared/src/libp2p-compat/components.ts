/**
 * `node.components`: the internal component bag of a js-libp2p node (not on the public `Libp2p`
 * interface). We use three parts of it, each through one accessor here; everything else goes through
 * public API. Contract test: components.test.ts (a real node has them, with these methods).
 * - addressManager: confirm listen addresses our own evidence proved public (AutoNAT never decides
 *   with one relay: docs/NOTES.md, "NAT, DCUtR and WebRTC");
 * - registrar.getHandler: the stock hop handler, to (un)register it as reachability changes;
 * - transportManager: `listen` on a relay's `/p2p-circuit` and find the listener of one relay; `dial`
 *   a WebRTC upgrade outside the dial queue (libp2p 3.3's queue makes every later dial to the same
 *   peer join a pending one: a reconnect through another relay then waited for an upgrade attempt
 *   that was signalling over the dead one, docs/NOTES.md "Peer core").
 */
import type {
  AbortOptions,
  Connection,
  Libp2p,
  Listener,
  StreamHandler,
  StreamHandlerOptions,
} from '@libp2p/interface'
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
  /** The connection is registered with the connection manager like one from `node.dial`. */
  dial: (
    addr: Multiaddr,
    options?: AbortOptions & { onProgress?: (evt: { type: string }) => void },
  ) => Promise<Connection>
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

/**
 * libp2p announces a public listen address only once it is verified (AutoNAT, which never decides with
 * one relay). When our own evidence proves `host` public, confirm the listen addresses on it.
 */
export function confirmListenAddrs(node: Libp2p, host: string): void {
  const am = addressManagerOf(node)
  for (const a of am.getAddressesWithMetadata()) {
    const ip = a.multiaddr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
    if (a.type === 'transport' && !a.verified && ip === host) {
      am.confirmObservedAddr(a.multiaddr, { type: 'transport' })
    }
  }
}

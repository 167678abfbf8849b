/**
 * Relay shards other than the default one are addressed with `/http-path/relay%2F<n>`
 * (`/ip4/…/tcp/…/ws/http-path/relay%2F1/p2p/<id>`). multiaddr 13 parses such addresses and
 * @libp2p/websockets dials them to `ws://host:port/relay/1`, but the transports' filters
 * (multiaddr-matcher) reject them. `allowHttpPath` wraps a transport factory so its filters judge the
 * address without `/http-path` while the transport still receives the original (the filter rewrite is
 * libp2p-compat/transport-filter.ts). Runtime-neutral: the home node, the browser peer and the tests
 * share it. Host-routed shards (SHARD_HOST / SHARD_PORTS, docs/OPERATIONS.md) need no wrapper.
 *
 * @example
 * ```ts
 * createLibp2p({ transports: [allowHttpPath(webSockets()), allowHttpPath(circuitRelayTransport())] })
 * ```
 */
import type { Transport } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { rewriteTransportFilters } from './libp2p-compat/transport-filter.ts'

/** The address with every `/http-path` component removed. */
export function withoutHttpPath(ma: Multiaddr): Multiaddr {
  return multiaddr(ma.getComponents().filter((c) => c.name !== 'http-path'))
}

/** Wraps a transport factory: filters see the address without `/http-path`; `onCreate` gets the instance. */
export function allowHttpPath<T extends (c: never) => Transport>(
  factory: T,
  onCreate?: (t: Transport) => void,
): T {
  return rewriteTransportFilters(factory, withoutHttpPath, onCreate)
}

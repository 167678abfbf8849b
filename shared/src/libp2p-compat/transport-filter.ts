/**
 * Rewrites what a transport's `dialFilter` / `listenFilter` see, without changing what it dials: the
 * filters are methods of the transport instance (multiaddr-matcher inside), which we wrap. Used for
 * `/http-path/` shard addresses (shared/src/http-path.ts). Contract test: transport-filter.test.ts.
 */
import type { Transport } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Wraps a transport factory so its filters judge `view(addr)`; `onCreate` gets the instance. */
export function rewriteTransportFilters<T extends (c: never) => Transport>(
  factory: T,
  view: (addr: Multiaddr) => Multiaddr,
  onCreate?: (t: Transport) => void,
): T {
  return ((components: never) => {
    const transport = factory(components)
    for (const key of ['dialFilter', 'listenFilter'] as const) {
      if (typeof transport[key] !== 'function') throw new Error(`libp2p-compat: transport has no ${key}()`)
      const filter = transport[key].bind(transport)
      transport[key] = (addrs: Multiaddr[]) => addrs.filter((a) => filter([view(a)]).length > 0)
    }
    onCreate?.(transport)
    return transport
  }) as T
}

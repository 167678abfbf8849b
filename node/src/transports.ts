/**
 * Transport plumbing for Node:
 * - the `ws` package without permessage-deflate as the global WebSocket that @libp2p/websockets uses
 *   (Node's undici WebSocket slows to ~9 MB/s on long transfers; workerd accepts deflate whenever it
 *   is offered, and compressing ciphertext cuts relay throughput to ~15 MB/s: DESIGN.md);
 * - filter wrappers so `/http-path/` shard addresses pass the transports' dial filters
 *   (multiaddr-matcher rejects them), keeping the original address for the dial.
 */
import type { Transport } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import WebSocket from 'ws'

const log = logger('edgeswarm:node:transport')

/** Largest WebSocket message accepted (bytes); yamux frames are far smaller. */
const MAX_WS_PAYLOAD_BYTES = 8 * 1024 * 1024

class NoDeflateWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false, maxPayload: MAX_WS_PAYLOAD_BYTES })
    // `ws` is an EventEmitter: an 'error' with no listener throws and kills the process. @libp2p/websockets
    // listens for errors only while a dial waits for 'open'; a dial abandoned earlier (timeout, another
    // address won) leaves the socket to fail later, e.g. ENETUNREACH to a peer's private LAN address.
    // The dial's own listeners still see the error; this one only keeps the daemon alive.
    this.on('error', (err) =>
      log('websocket to %s failed after its dial ended: %s', String(url), err.message),
    )
  }
}

/** Installs the `ws`-based WebSocket as the global one; idempotent. */
export function installNodeWebSocket(): void {
  ;(globalThis as { WebSocket: unknown }).WebSocket = NoDeflateWebSocket
}

function withoutHttpPath(ma: Multiaddr): Multiaddr {
  return multiaddr(ma.getComponents().filter((c) => c.name !== 'http-path'))
}

/** Wraps a transport factory: filters see the address without `/http-path`; `onCreate` gets the instance. */
export function allowHttpPath<T extends (c: never) => Transport>(
  factory: T,
  onCreate?: (t: Transport) => void,
): T {
  return ((components: never) => {
    const transport = factory(components)
    for (const key of ['dialFilter', 'listenFilter'] as const) {
      const filter = transport[key].bind(transport)
      transport[key] = (addrs: Multiaddr[]) => addrs.filter((a) => filter([withoutHttpPath(a)]).length > 0)
    }
    onCreate?.(transport)
    return transport
  }) as T
}

/**
 * Transport plumbing for Node: the `ws` package without permessage-deflate as the global WebSocket
 * that @libp2p/websockets uses (Node's undici WebSocket slows to ~9 MB/s on long transfers; workerd
 * accepts deflate whenever it is offered, and compressing ciphertext cuts relay throughput to
 * ~15 MB/s: DESIGN.md). `/http-path` shard addresses pass the dial filters through
 * shared/src/http-path.ts.
 */
import { logger } from '@libp2p/logger'
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

/**
 * The global `WebSocket` of Node peers (the home node, and the harness and benchmark peers): the `ws`
 * package without permessage-deflate. Measured: Node's own (undici) WebSocket slowed from ~117 to
 * ~9 MB/s over long transfers where `ws` did not; workerd accepts deflate whenever a client offers it,
 * and compressing ciphertext cut relay throughput to ~15 MB/s (docs/NOTES.md, "WebSockets from Node").
 *
 * @example
 * ```ts
 * installNodeWebSocket()
 * const node = await createLibp2p({ transports: [webSockets()], ... })
 * ```
 */
import { logger } from '@libp2p/logger'
import WebSocket from 'ws'
import { DEFAULT_NODE_WS_MAX_PAYLOAD_BYTES } from '#shared/defaults.ts'

const log = logger('edgeswarm:node:transport')

export class NoDeflateWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false, maxPayload: DEFAULT_NODE_WS_MAX_PAYLOAD_BYTES })
    // `ws` is an EventEmitter: an 'error' with no listener throws and kills the process. @libp2p/websockets
    // listens for errors only while a dial waits for 'open'; a dial abandoned earlier (timeout, another
    // address won) leaves the socket to fail later, e.g. ENETUNREACH to a peer's private LAN address, or
    // ECONNRESET ("socket hang up") from a loaded peer (it killed a benchmark worker hosting 9 peers).
    // The dial's own listeners still see the error; this one only keeps the process alive.
    this.on('error', (err) =>
      log('websocket to %s failed after its dial ended: %s', String(url), err.message),
    )
  }
}

/** Installs the `ws`-based WebSocket as the global one; idempotent. */
export function installNodeWebSocket(): void {
  ;(globalThis as { WebSocket: unknown }).WebSocket = NoDeflateWebSocket
}

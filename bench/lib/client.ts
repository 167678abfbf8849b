/**
 * Benchmark client peers: stock js-libp2p modules only (WebSockets, circuit relay transport, noise,
 * yamux, identify, ping) so the bench measures relays, not our client code. Node's global WebSocket
 * (undici) slows down on long transfers and the edge must not negotiate permessage-deflate, so the
 * `ws` package without deflate is installed as the global WebSocket (docs/NOTES.md, "WebSockets from Node").
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import WebSocket from 'ws'

class NoDeflateWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 })
  }
}
;(globalThis as { WebSocket: unknown }).WebSocket = NoDeflateWebSocket

export interface ClientOptions {
  /** Multiaddrs to listen on (e.g. `/ip4/127.0.0.1/tcp/0/ws` for direct, `<relay>/p2p-circuit` to reserve). */
  listen?: string[]
}

export async function createClient(opts: ClientOptions = {}): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: opts.listen ?? [] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // loopback relays and peers are "private" addresses: allow dialling them in the bench
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: {
      maxConnections: 4096,
      maxIncomingPendingConnections: 256,
      inboundConnectionThreshold: 10_000,
    },
    services: { identify: identify(), ping: ping() },
  })
}

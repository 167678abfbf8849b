/**
 * The home node's transports: TCP, WebSockets through the `ws` package without permessage-deflate,
 * the circuit-relay-v2 client and WebRTC (node-datachannel; UDP only, TURN over TCP/TLS is ignored).
 * Measured: Node's own (undici) WebSocket slowed from ~117 to ~9 MB/s over long transfers where `ws`
 * did not; workerd accepts deflate whenever a client offers it, and compressing ciphertext cut relay
 * throughput to ~15 MB/s. `/http-path` shard addresses pass the stock dial filters through
 * shared/src/http-path.ts (multiaddr-matcher rejects `/http-path`).
 */
import type { Transport } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import WebSocket from 'ws'
import { DEFAULT_NODE_WS_MAX_PAYLOAD_BYTES } from '../../shared/src/defaults.ts'
import { allowHttpPath } from '../../shared/src/http-path.ts'
import { circuitTransport } from '../../shared/src/peer/circuit.ts'

const log = logger('edgeswarm:node:transport')

class NoDeflateWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false, maxPayload: DEFAULT_NODE_WS_MAX_PAYLOAD_BYTES })
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

export interface NodeTransports {
  transports: unknown[]
  /** The circuit relay transport once libp2p constructed it (the reservation keeper needs its store). */
  circuit: () => Transport
}

export function nodeTransports(opts: {
  webrtc: boolean
  /** Read at each WebRTC connection: the bootstrap document (and its refreshes) may arrive later. */
  iceServers: () => Array<{ urls: string }>
}): NodeTransports {
  installNodeWebSocket()
  const circuit = circuitTransport()
  const transports = [
    tcp(),
    allowHttpPath(webSockets()),
    circuit.factory,
    ...(opts.webrtc
      ? [allowHttpPath(webRTC({ rtcConfiguration: () => ({ iceServers: opts.iceServers() }) }))]
      : []),
  ]
  return { transports, circuit: circuit.transport }
}

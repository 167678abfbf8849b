/**
 * The home node's transports: TCP, WebSockets through the `ws` package without permessage-deflate
 * (websocket.ts), the circuit-relay-v2 client and WebRTC (node-datachannel; UDP only, TURN over TCP/TLS
 * is ignored). `/http-path` shard addresses pass the stock dial filters through shared/src/http-path.ts
 * (multiaddr-matcher rejects `/http-path`).
 */
import type { Transport } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { allowHttpPath } from '#shared/http-path.ts'
import { circuitTransport } from '#shared/peer/circuit.ts'
import { installNodeWebSocket } from './websocket.ts'

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

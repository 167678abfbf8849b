/**
 * The tab's transports: WebSockets to the relay shards, the circuit-relay transport, and WebRTC when
 * the browser has it. `/http-path` shard addresses pass the stock filters through a wrapper
 * (multiaddr-matcher, used by the websockets dial filter and circuit-relay-v2, rejects `/http-path`).
 */
import type { Transport } from '@libp2p/interface'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { allowHttpPath } from '#shared/http-path.ts'
import { circuitTransport } from '#shared/peer/circuit.ts'

/** Feature detection, not browser sniffing: some browsers, policies and extensions remove WebRTC. */
export function webRtcAvailable(): boolean {
  return typeof globalThis.RTCPeerConnection === 'function'
}

export interface BrowserTransports {
  transports: unknown[]
  /** The circuit relay transport once libp2p constructed it (the reservation keeper needs its store). */
  circuit: () => Transport
}

/** `iceServers` is read at each connection, so a refreshed bootstrap document applies. */
export function browserTransports(iceServers: () => RTCIceServer[]): BrowserTransports {
  const circuit = circuitTransport()
  const transports: unknown[] = [allowHttpPath(webSockets()), circuit.factory]
  if (webRtcAvailable()) {
    transports.push(allowHttpPath(webRTC({ rtcConfiguration: () => ({ iceServers: iceServers() }) })))
  }
  return { transports, circuit: circuit.transport }
}

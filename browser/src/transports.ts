/**
 * The tab's transports: WebSockets to the relay shards, the circuit-relay transport, and WebRTC when
 * the browser has it. `/http-path` shard addresses pass the stock filters through a wrapper (DESIGN.md:
 * multiaddr-matcher rejects `/http-path`).
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { allowHttpPath } from '../../shared/src/http-path.ts'

/** Feature detection, not browser sniffing: some browsers, policies and extensions remove WebRTC. */
export function webRtcAvailable(): boolean {
  return typeof globalThis.RTCPeerConnection === 'function'
}

export interface TransportOptions {
  /** ICE servers for WebRTC, read at each connection so a refreshed bootstrap document applies. */
  iceServers: () => RTCIceServer[]
}

export function browserTransports(opts: TransportOptions) {
  const list = [allowHttpPath(webSockets()), allowHttpPath(circuitRelayTransport())]
  if (webRtcAvailable()) {
    list.push(allowHttpPath(webRTC({ rtcConfiguration: () => ({ iceServers: opts.iceServers() }) })) as never)
  }
  return list
}

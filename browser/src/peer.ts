/**
 * Assembles the tab's js-libp2p node: the peer's common options (shared/src/peer/libp2p-options.ts)
 * with the browser's transports, its agent name and a `/webrtc` listener when WebRTC exists. The
 * reservation keeper adds one `/p2p-circuit` listener per relay it reserves on.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { peerLibp2pOptions } from '#shared/peer/libp2p-options.ts'
import { browserTransports, webRtcAvailable } from './transports.ts'

/** Our identify agent name: tells tabs from Node peers on the page. */
export const BROWSER_AGENT = 'edgeswarm-browser'
const BROWSER_AGENT_VERSION = '0.1.0'

export interface BrowserPeerInit {
  privateKey: PrivateKey
  iceServers: () => RTCIceServer[]
  /** Private overlay: the network key answering the relays' `/edgeswarm/auth/1.0.0` challenge. */
  networkKey?: string | undefined
  /** libp2p services the overlay services mount (ServiceHost.libp2pServices). */
  services: Record<string, unknown>
}

export async function createBrowserPeer(init: BrowserPeerInit) {
  const { transports, circuit } = browserTransports(init.iceServers)
  const node: Libp2p = await createLibp2p(
    peerLibp2pOptions({
      privateKey: init.privateKey,
      listen: webRtcAvailable() ? ['/webrtc'] : [],
      transports,
      networkKey: init.networkKey,
      services: init.services,
      extra: { nodeInfo: { name: BROWSER_AGENT, version: BROWSER_AGENT_VERSION } },
    }),
  )
  return { node, circuit: circuit() }
}

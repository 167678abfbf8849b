/**
 * The libp2p options every peer shares (home node and tab): noise, yamux, identify, ping that runs on
 * relayed connections, the private-network credential when the overlay is private, and a gater that
 * lets a peer dial private addresses (home LANs, labs, loopback and `wrangler dev` relays are
 * "private", and the peer dials only addresses from its bootstrap document and from peers it met).
 * Yamux sends its window updates every half window (`libp2p-compat/yamux-window.ts`), as go-yamux does,
 * and noise decodes frames without an exception per chunk and sends each chunk as one WebSocket message
 * (`libp2p-compat/noise-frames.ts`).
 * The shells add their transports and runtime-only services.
 *
 * @example
 * ```ts
 * const node = await createLibp2p(peerLibp2pOptions({ privateKey, listen: ['/webrtc'], transports }))
 * ```
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import type { Libp2pOptions } from 'libp2p'
import { networkAuth } from '../auth.ts'
import { DEFAULT_PING_MAX_STREAMS } from '../defaults.ts'
import { leanNoise } from '../libp2p-compat/noise-frames.ts'
import { halfWindowUpdates } from '../libp2p-compat/yamux-window.ts'

export interface PeerLibp2pInit {
  privateKey: PrivateKey
  listen: string[]
  transports: unknown[]
  /** Private overlay: the key answering the relays' `/edgeswarm/auth/1.0.0` challenge. */
  networkKey?: string | undefined
  /** Runtime-only and overlay services, merged over the common ones. */
  services?: Record<string, unknown>
  gater?: Partial<ConnectionGater>
  extra?: Partial<Libp2pOptions>
}

export function peerLibp2pOptions(init: PeerLibp2pInit): Libp2pOptions {
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping({
      maxInboundStreams: DEFAULT_PING_MAX_STREAMS,
      maxOutboundStreams: DEFAULT_PING_MAX_STREAMS,
      runOnLimitedConnection: true,
    }),
  }
  if (init.networkKey !== undefined) services.auth = networkAuth({ networkKey: init.networkKey })
  return {
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: init.transports as never,
    // noise's frame decoder without an exception per chunk received, one buffer per chunk sent (libp2p-compat)
    connectionEncrypters: [leanNoise(noise())],
    // a yamux window update every half window, not after every frame received (libp2p-compat)
    streamMuxers: [halfWindowUpdates(yamux())],
    connectionGater: { denyDialMultiaddr: () => false, ...init.gater },
    // the path manager pings every connection itself (on that connection, with its own verdict on
    // direct links); libp2p's monitor would race it for ping streams and abort busy connections on
    // its own adaptive timeout
    connectionMonitor: { enabled: false },
    ...init.extra,
    services: { ...services, ...init.services } as never,
  }
}

/**
 * Assembles the tab's js-libp2p node: WebSockets + circuit relay + WebRTC (when available), noise,
 * yamux, identify, ping, and the network credential when the overlay is private. It listens on
 * `/p2p-circuit` once per relay it should hold a reservation on (the relay manager dials the shards; the
 * circuit transport reserves on relays it is connected to) and on `/webrtc` for direct links.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'
import { networkAuth } from '../../shared/src/auth.ts'
import { toError } from '../../shared/src/errors.ts'
import { BROWSER_AGENT } from './links.ts'
import { browserTransports, webRtcAvailable } from './transports.ts'

export interface BrowserPeerInit {
  privateKey: PrivateKey
  /** Reservations to hold (one `/p2p-circuit` listen address each). */
  reservations: number
  iceServers: () => RTCIceServer[]
  /** Private overlay: the network key answering the relays' `/edgeswarm/auth/1.0.0` challenge. */
  networkKey?: string
  /** Called when a relay refuses a reservation, with the relay's status (e.g. RESERVATION_REFUSED). */
  onReservationError: (relay: string, reason: string) => void
  /** libp2p services the overlay services mount (ServiceHost.libp2pServices). */
  overlay?: Record<string, unknown>
}

export type BrowserPeer = Libp2p<{ identify: unknown; ping: unknown }>

/**
 * The reservation store only logs why a relay refused a reservation. Its log call
 * (`could not reserve slot on %p after %dms - %e`) is the one place the relay's status surfaces, so the
 * logger handed to libp2p passes that error on to the page.
 */
function reservationAwareLogger(onError: BrowserPeerInit['onReservationError']) {
  const base = defaultLogger()
  return {
    forComponent(name: string) {
      const log = base.forComponent(name)
      if (name !== 'libp2p:circuit-relay:transport:reservation-store') return log
      const error = log.error.bind(log)
      log.error = (fmt: unknown, ...args: unknown[]) => {
        if (typeof fmt === 'string' && fmt.startsWith('could not reserve slot on')) {
          onError(String(args[0]), toError(args[2]).message)
        }
        error(fmt, ...args)
      }
      return log
    },
  }
}

export async function createBrowserPeer(init: BrowserPeerInit): Promise<BrowserPeer> {
  const listen = Array.from({ length: init.reservations }, () => '/p2p-circuit')
  if (webRtcAvailable()) listen.push('/webrtc')
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping({ runOnLimitedConnection: true }),
  }
  if (init.networkKey !== undefined) services.auth = networkAuth({ networkKey: init.networkKey })
  Object.assign(services, init.overlay ?? {})
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen },
    transports: browserTransports({ iceServers: init.iceServers }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Relays under `wrangler dev` (and LAN deployments) live on loopback/private addresses, which the
    // browser build refuses to dial by default. The page only dials addresses from its own bootstrap
    // document and from peers met through those relays.
    connectionGater: { denyDialMultiaddr: () => false },
    nodeInfo: { name: BROWSER_AGENT, version: '0.1.0' },
    // links.ts pings every connection itself (per connection, serialised, with its own verdict on
    // WebRTC links); libp2p's monitor would race it for the ping protocol's one outbound stream and
    // abort busy connections on its own adaptive timeout
    connectionMonitor: { enabled: false },
    logger: reservationAwareLogger(init.onReservationError),
    services: services as never,
  })
  return node as unknown as BrowserPeer
}

export function shortId(id: PeerId | string): string {
  const s = id.toString()
  return `…${s.slice(-6)}`
}

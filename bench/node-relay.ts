/**
 * A plain Node.js js-libp2p circuit-relay-v2 server, configured like an edge shard (WebSockets, noise,
 * yamux, identify, ping, no announced limits, the same connection limits), run as its own process so
 * the bench can read its CPU time. Prints one JSON line `{ "addr": ..., "pid": ... }` when listening.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { RELAY_DEFAULTS } from '#shared/config.ts'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
  transports: [webSockets()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater: { denyDialMultiaddr: () => false },
  connectionManager: {
    maxConnections: RELAY_DEFAULTS.maxConnections,
    maxIncomingPendingConnections: RELAY_DEFAULTS.maxPendingConnections,
    inboundConnectionThreshold: 10_000,
  },
  services: {
    identify: identify(),
    ping: ping(),
    relay: circuitRelayServer({
      reservations: {
        maxReservations: 100_000,
        applyDefaultLimit: false,
        reservationTtl: RELAY_DEFAULTS.reservationTtlSeconds * 1000,
      },
      maxInboundHopStreams: 4096,
      maxOutboundStopStreams: 4096,
    }),
  },
})
const addr = node.getMultiaddrs()[0]
console.log(JSON.stringify({ addr: addr?.toString(), pid: process.pid }))
process.on('SIGTERM', () => {
  Promise.resolve(node.stop()).then(
    () => process.exit(0),
    () => process.exit(1),
  )
})

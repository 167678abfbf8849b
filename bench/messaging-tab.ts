/**
 * The messaging benchmark's page script (bundled by bench/messaging.ts for Chromium): the same bench
 * peers as the Node workers (bench/lib/bus-peer.ts) with the browser's transports — WebSockets to the
 * shard and to Node peers, the circuit relay, and WebRTC between tabs (host candidates on loopback, no
 * STUN needed). Exposes `globalThis.benchHost.handle(cmd)`; events go to `globalThis.benchEmit`, which
 * the coordinator installs with Playwright's `exposeFunction`.
 */
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { allowHttpPath } from '#shared/http-path.ts'
import { circuitTransport } from '#shared/peer/circuit.ts'
import { type BusEvent, BusHost } from './lib/bus-peer.ts'

const g = globalThis as unknown as { benchHost: BusHost; benchEmit: (e: BusEvent) => void }

g.benchHost = new BusHost(
  {
    transports: () => [allowHttpPath(webSockets()), circuitTransport().factory, webRTC()],
    listen: (relay) => [`${relay}/p2p-circuit`, '/webrtc'],
  },
  (e) => void g.benchEmit(e),
)

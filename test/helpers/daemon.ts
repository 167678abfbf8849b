/**
 * The daemon helpers (scripts/lib/daemon.ts, re-exported) plus a stand-in edge for tests that do not
 * need workerd: plain Node js-libp2p relays and a bootstrap HTTP server.
 */
import { createServer, type Server } from 'node:http'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'

import type { RunningDaemon } from '../../scripts/lib/daemon.ts'

export * from '../../scripts/lib/daemon.ts'

/** A daemon's loopback TCP listen address with its peer ID (what `compute run --worker` takes). */
export function loopbackTcpAddr(d: RunningDaemon): string {
  const started = d.events.find((e) => e.event === 'node.started')!
  const tcp = (started.listen as string[]).find(
    (a) => a.startsWith('/ip4/127.0.0.1/tcp/') && !a.includes('/ws'),
  )!
  // libp2p lists its own addresses with the /p2p/<id> suffix already; a doubled suffix is undialable
  return tcp.includes('/p2p/') ? tcp : `${tcp}/p2p/${d.peerId}`
}

export interface LocalEdge {
  url: string
  relays: Libp2p[]
  /** Serves `body` instead of the bootstrap document (bad-input tests). */
  setBody: (body: string | undefined) => void
  stopRelay: (index: number) => Promise<void>
  /** Stops relay `index` and starts a new one (new peer ID, new port) in its place. */
  replaceRelay: (index: number) => Promise<Libp2p>
  stop: () => Promise<void>
}

async function startNodeRelay(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: 64 } }),
    },
  })
}

/**
 * A stand-in edge on 127.0.0.1: `shards` plain js-libp2p relays (WebSockets, circuit-relay-v2 hop with
 * no announced limit, like the edge) and an HTTP server answering `/v1/bootstrap`.
 */
export async function startLocalEdge(shards = 2): Promise<LocalEdge> {
  const relays: Libp2p[] = []
  for (let i = 0; i < shards; i++) relays.push(await startNodeRelay())
  let override: string | undefined
  const server: Server = createServer((req, res) => {
    if (override !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(override)
      return
    }
    if (req.url?.startsWith('/v1/bootstrap') !== true) {
      res.writeHead(404).end()
      return
    }
    const doc = {
      version: 1,
      network: 'edgeswarm',
      protocol: '/edgeswarm/1.0.0',
      private: false,
      relays: relays.map((r, i) => ({
        shard: String(i),
        peerId: r.peerId.toString(),
        addrs: r.getMultiaddrs().map((a) => a.toString()),
      })),
      peers: [],
      stun: [],
      generatedAt: new Date().toISOString(),
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(doc))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    relays,
    setBody: (body) => {
      override = body
    },
    stopRelay: async (i) => {
      await relays[i]?.stop()
    },
    replaceRelay: async (i) => {
      await relays[i]?.stop()
      const relay = await startNodeRelay()
      relays[i] = relay
      return relay
    },
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.all(relays.map((r) => r.stop()))
    },
  }
}

/**
 * In-process peers running the shared overlay services (shared/src/services) on plain js-libp2p:
 * WebSockets + circuit-relay client, noise, yamux, identify, ping, reservations on the edge shards
 * named in the bootstrap document. They are relay-only peers (no WebRTC, no listener of their own), so
 * every link to them is a relayed circuit unless the other side is a home node with a direct address.
 *
 * @example
 * ```ts
 * const p = await startServicePeer({ edgeUrl: edge.url })
 * const ps = p.service<PubSub>('pubsub')
 * await p.stop()
 * ```
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { FaultTolerance, type Libp2p, type PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { networkAuth } from '#shared/auth.ts'
import { allowHttpPath } from '#shared/http-path.ts'
import type { EventFields } from '#shared/peer/service.ts'
import { type PeerEnvironment, ServiceHost } from '#shared/peer/service.ts'
import { memoryStorage, type PeerStorage } from '#shared/peer/storage.ts'
import { overlayServices } from '#shared/services/index.ts'
import { readBootstrap } from '#shared/services/messaging/topic-peers.ts'
import { installNodeWebSocket } from './peers.ts'
import { waitFor } from './wait.ts'

installNodeWebSocket()

export interface ServicePeerOptions {
  edgeUrl: string
  networkKey?: string
  privateKey?: PrivateKey
  storage?: PeerStorage
  /** Services to leave out. */
  disable?: string[]
  /** Shards to reserve on (indexes into the document's relays). @default [0] */
  shards?: number[]
}

export interface ServicePeer {
  node: Libp2p
  peerId: string
  events: Array<{ event: string } & EventFields>
  service: <T>(name: string) => T
  stop: () => Promise<void>
}

/** Starts a peer; on a busy machine a reservation can time out, so a failed start is retried up to four times. */
export async function startServicePeer(opts: ServicePeerOptions): Promise<ServicePeer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts)
    } catch (err) {
      if (attempt >= 5) throw err
    }
  }
}

async function startOnce(opts: ServicePeerOptions): Promise<ServicePeer> {
  // a busy machine can make one bootstrap request time out: retry like the shells do
  const doc = await waitFor(
    'the bootstrap document',
    () => readBootstrap({ edgeUrl: opts.edgeUrl, networkKey: opts.networkKey }),
    60_000,
    500,
  )
  const relays = (opts.shards ?? [0]).map((i) => doc.relays[i]!).filter((r) => r !== undefined)
  const host = new ServiceHost(overlayServices({ disable: opts.disable ?? [] }))
  const env: PeerEnvironment = {
    runtime: 'node',
    edgeUrl: opts.edgeUrl,
    networkKey: opts.networkKey,
    storage: opts.storage ?? memoryStorage(),
    isPublic: () => false,
  }
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping(),
    ...host.libp2pServices(env),
  }
  if (opts.networkKey !== undefined) services.auth = networkAuth({ networkKey: opts.networkKey })
  const node = (await createLibp2p({
    ...(opts.privateKey === undefined ? {} : { privateKey: opts.privateKey }),
    addresses: { listen: relays.map((r) => `${r.addrs[0]}/p2p-circuit`) },
    transports: [
      allowHttpPath(webSockets()),
      allowHttpPath(circuitRelayTransport({ reservationCompletionTimeout: 30_000 })),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    // a reservation that times out on a busy machine is retried below, not fatal here
    transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
    connectionManager: { maxConnections: 256, maxIncomingPendingConnections: 64 },
    services: services as never,
  })) as Libp2p<Record<string, unknown>>
  const events: ServicePeer['events'] = []
  const reserved = await waitFor(
    'a reservation',
    () => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')),
    30_000,
  ).catch(() => false)
  if (!reserved) {
    await node.stop()
    throw new Error('no reservation')
  }
  await host.start({ ...env, node, events: (event, fields = {}) => void events.push({ event, ...fields }) })
  // the shells keep reservations with a keeper; this test peer re-listens when its relay dropped it
  // (a shard restarted under wrangler dev, a busy machine timed a connection out)
  const listenAddrs = relays.map((r) => multiaddr(`${r.addrs[0]}/p2p-circuit`))
  const tm = (
    node as unknown as { components: { transportManager: { listen: (a: unknown[]) => Promise<void> } } }
  ).components.transportManager
  let relistening = false
  const keeper = setInterval(() => {
    if (relistening || node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit'))) return
    relistening = true
    events.push({ event: 'test.relisten' })
    void tm
      .listen(listenAddrs)
      .catch(() => undefined)
      .finally(() => {
        relistening = false
      })
  }, 2_000)
  const peerId = node.peerId.toString()
  return {
    node,
    peerId,
    events,
    service: <T>(name: string) => {
      const s = host.get<T>(name)
      if (s === undefined) throw new Error(`service ${name} is not running`)
      return s
    },
    stop: async () => {
      clearInterval(keeper)
      await host.stop(() => {})
      await node.stop()
    },
  }
}

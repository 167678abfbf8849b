/**
 * The home node: assembles js-libp2p (TCP, WebSockets via `ws` without deflate, circuit-relay-v2
 * client, WebRTC, noise, yamux, identify + push, ping, DCUtR, private-network auth, optional relay
 * hop) and our pieces: reservations on two shards, traffic-verified paths, reachability, transfers
 * and the local control API.
 *
 * @example
 * ```ts
 * const daemon = await startDaemon(resolveNodeOptions({ bootstrap: 'http://127.0.0.1:8787' }), events)
 * console.log((await daemon.api.status()).peerId)
 * await daemon.stop()
 * ```
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify, identifyPush } from '@libp2p/identify'
import type { Libp2p, Transport } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { isPrivate } from '@libp2p/utils'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { networkAuth } from '../../shared/src/auth.ts'
import * as D from '../../shared/src/defaults.ts'
import { BootstrapError, toError } from '../../shared/src/errors.ts'
import { allowHttpPath } from '../../shared/src/http-path.ts'
import { type PeerEnvironment, ServiceHost } from '../../shared/src/peer/service.ts'
import type { BootstrapDocument, BootstrapRelay } from '../../shared/src/protocol/bootstrap.ts'
import { overlayServices } from '../../shared/src/services/index.ts'
import { fetchBootstrap } from './bootstrap-client.ts'
import { startComputeWorker } from './compute/start-worker.ts'
import { assertNoRunningDaemon, newToken, removeControlInfo, writeControlInfo } from './control/files.ts'
import { startControlServer } from './control/server.ts'
import { serviceRoutes } from './control/service-routes.ts'
import type { EventSink } from './events.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { setPublicCidrs } from './nat/public-cidr.ts'
import { ReachabilityTracker } from './nat/reachability.ts'
import { NodeApi } from './node-api.ts'
import type { NodeOptions } from './options.ts'
import { isRelayed } from './path/classify.ts'
import { PathManager } from './path/manager.ts'
import { ReservationKeeper } from './relay/reservations.ts'
import { SuperPeer } from './relay/super-peer.ts'
import { nodeStorage } from './storage.ts'
import { installNodeWebSocket } from './transports.ts'

export interface Daemon {
  node: Libp2p
  api: NodeApi
  /** The overlay services (shared/src/services) running on this node. */
  services: ServiceHost
  controlPort: number
  stop: () => Promise<void>
}

/**
 * libp2p announces a public listen address only once it is verified (AutoNAT, which never decides
 * with one relay). When our own evidence proves `host` public, confirm the listen addresses on it.
 */
function confirmListenAddrs(node: Libp2p, host: string): void {
  const am = (node as unknown as { components: { addressManager: AddressManagerLike } }).components
    .addressManager
  for (const a of am.getAddressesWithMetadata()) {
    const ip = a.multiaddr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
    if (a.type === 'transport' && !a.verified && ip === host) {
      am.confirmObservedAddr(a.multiaddr, { type: 'transport' })
    }
  }
}

interface AddressManagerLike {
  getAddressesWithMetadata: () => Array<{ multiaddr: Multiaddr; type: string; verified: boolean }>
  confirmObservedAddr: (addr: Multiaddr, options: { type: 'transport' }) => void
}

/** The document's super-peers as relays to reserve on: never ourselves, never a shard. */
function superPeerRelays(doc: BootstrapDocument, self: string): BootstrapRelay[] {
  const shards = new Set(doc.relays.map((r) => r.peerId))
  return doc.superPeers
    .filter((p) => p.peerId !== self && !shards.has(p.peerId))
    .map((p) => ({ shard: 'super-peer', peerId: p.peerId, addrs: p.addrs }))
}

export async function startDaemon(options: NodeOptions, events: EventSink): Promise<Daemon> {
  installNodeWebSocket()
  setPublicCidrs(options.publicCidrs)
  const privateKey = await loadOrCreateIdentity(options.dataDir)
  await assertNoRunningDaemon(options.dataDir)
  const doc = await fetchBootstrap(
    options.bootstrapUrl,
    options.networkKey === undefined ? {} : { networkKey: options.networkKey },
  )
  if (doc.private && options.networkKey === undefined) {
    throw new BootstrapError(
      `network ${doc.network} is private: pass --network-key or set EDGESWARM_NETWORK_KEY`,
    )
  }
  events('bootstrap.loaded', {
    network: doc.network,
    private: doc.private,
    relays: doc.relays.length,
    peers: doc.peers.length,
    superPeers: doc.superPeers.length,
  })

  let confirmPublic = (_host: string) => {}
  const reachability = new ReachabilityTracker(events, (host) => confirmPublic(host))
  const superPeer = options.relay
    ? await SuperPeer.create({
        events,
        ...(options.networkKey === undefined ? {} : { networkKey: options.networkKey }),
        isPublic: () => reachability.get().reachability === 'public',
      })
    : undefined
  let circuit: Transport | undefined
  const iceServers = [...new Set([...doc.stun, ...options.stun])].map((urls) => ({ urls }))
  const transports = [
    tcp(),
    allowHttpPath(webSockets()),
    allowHttpPath(
      circuitRelayTransport({
        reservationCompletionTimeout: D.DEFAULT_DIAL_TIMEOUT_MS,
        // the store clears its queue whenever it "has enough relays", dropping configured relays still
        // waiting in it: run every reservation at once instead of queueing them
        reservationConcurrency: 16,
      }),
      (t) => {
        circuit = t
      },
    ),
    ...(options.webrtc ? [allowHttpPath(webRTC({ rtcConfiguration: { iceServers } }))] : []),
  ]
  const services: Record<string, unknown> = {
    identify: identify(),
    identifyPush: identifyPush(),
    ping: ping({ maxInboundStreams: 16, maxOutboundStreams: 16 }),
    dcutr: dcutr(),
  }
  if (options.networkKey !== undefined) services.auth = networkAuth({ networkKey: options.networkKey })
  if (superPeer !== undefined) services.relay = superPeer.service()
  const overlay = new ServiceHost(overlayServices())
  const env: PeerEnvironment = {
    runtime: 'node',
    edgeUrl: options.bootstrapUrl,
    networkKey: options.networkKey,
    storage: nodeStorage(options.dataDir),
    isPublic: () => reachability.get().reachability === 'public',
  }
  Object.assign(services, overlay.libp2pServices(env))

  const node = (await createLibp2p({
    privateKey,
    addresses: { listen: [...options.listen] },
    transports: transports as never,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // home LANs, labs and loopback are "private": a home node must be able to dial them
    connectionGater: { denyDialMultiaddr: () => false, ...(superPeer?.gater() ?? {}) },
    connectionManager: { maxConnections: 512, maxIncomingPendingConnections: 64 },
    services: services as never,
  })) as Libp2p<Record<string, unknown>>
  if (superPeer !== undefined) superPeer.attach(node, node.services.relay)
  confirmPublic = (host) => confirmListenAddrs(node, host)
  if (circuit === undefined) throw new Error('circuit relay transport was not constructed')

  const keeper = new ReservationKeeper({
    node,
    transport: circuit,
    relays: doc.relays,
    want: D.DEFAULT_NODE_RESERVATIONS,
    events,
    refresh: async () => {
      const fresh = await fetchBootstrap(
        options.bootstrapUrl,
        options.networkKey === undefined ? {} : { networkKey: options.networkKey },
      )
      events('bootstrap.loaded', {
        network: fresh.network,
        relays: fresh.relays.length,
        peers: fresh.peers.length,
        refresh: true,
      })
      return fresh.relays
    },
  })
  const self = node.peerId.toString()
  const readBootstrap = () =>
    fetchBootstrap(
      options.bootstrapUrl,
      options.networkKey === undefined ? {} : { networkKey: options.networkKey },
    )
  // home super-peers: reserved on besides the shards (not instead of them)
  const superPeers = new ReservationKeeper({
    node,
    transport: circuit,
    relays: superPeerRelays(doc, self),
    want: D.DEFAULT_NODE_SUPER_PEER_RESERVATIONS,
    kind: 'super-peer',
    events,
    refresh: async () => superPeerRelays(await readBootstrap(), self),
  })
  const superPeerTimer = setInterval(() => {
    readBootstrap()
      .then((fresh) => {
        // a super-peer we hold a reservation on stays while it works, even if a shard stopped listing it
        const listed = superPeerRelays(fresh, self)
        const ids = new Set(listed.map((r) => r.peerId))
        const held = new Set(superPeers.list().map((r) => r.relay))
        const kept = superPeers.relays().filter((r) => held.has(r.peerId) && !ids.has(r.peerId))
        superPeers.update([...listed, ...kept])
      })
      .catch((err: unknown) =>
        events('bootstrap.failed', { reason: toError(err).message, for: 'super-peers' }, 'debug'),
      )
  }, D.DEFAULT_SUPER_PEER_REFRESH_MS)
  superPeerTimer.unref()
  const relayIds = { has: (id: string) => keeper.shardOf(id) !== undefined }
  const paths = new PathManager({
    node,
    events,
    webrtc: options.webrtc,
    verifyTimeoutMs: D.DEFAULT_PATH_VERIFY_TIMEOUT_MS,
    upgradeTimeoutMs: D.DEFAULT_UPGRADE_TIMEOUT_MS,
    upgradeAttempts: D.DEFAULT_UPGRADE_ATTEMPTS,
    recheckMs: D.DEFAULT_PATH_RECHECK_MS,
    shardOf: (id) => keeper.shardOf(id),
    isRelayPeer: (id) => relayIds.has(id),
    isPublicAddr: (a) => !isPrivate(a),
    circuitAddrsFor: (peer) => api.circuitAddrsFor(peer),
    onVerified: (conn) => {
      if (conn.direction === 'inbound' && !conn.remoteAddr.toString().includes('/webrtc')) {
        reachability.inboundDirect(conn.remoteAddr)
        superPeer?.onReachability(reachability.get().reachability === 'public')
      }
    },
  })
  const api: NodeApi = new NodeApi({
    node,
    options,
    doc,
    keeper,
    superPeers,
    paths,
    reachability,
    superPeer,
    events,
  })

  node.addEventListener('peer:identify', (evt) => {
    const { observedAddr, connection, peerId } = evt.detail
    if (observedAddr === undefined || isRelayed(connection.remoteAddr)) return
    if (!relayIds.has(peerId.toString())) return
    reachability.observed(peerId.toString(), observedAddr)
    superPeer?.onReachability(reachability.get().reachability === 'public')
  })

  await api.start()
  paths.start()
  keeper.start()
  superPeers.start()
  await overlay.start({ ...env, node, events })
  if (options.workerCpus > 0) await startComputeWorker(overlay, options.workerCpus)

  const token = newToken()
  const routes = { ...api.routes(), ...serviceRoutes(overlay) }
  const control = await startControlServer(options.controlPort, token, routes, (err) =>
    events('control.error', { error: err.message }, 'error'),
  )
  await writeControlInfo(options.dataDir, { port: control.port, token, pid: process.pid })
  events('node.started', {
    peerId: node.peerId.toString(),
    control: control.port,
    listen: node.getMultiaddrs().map((a) => a.toString()),
  })

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      keeper.stop()
      superPeers.stop()
      clearInterval(superPeerTimer)
      paths.stop()
      await control.close()
      await overlay.stop((name, err) =>
        events('service.stop-error', { service: name, error: toError(err).message }, 'warn'),
      )
      await removeControlInfo(options.dataDir, process.pid)
      try {
        await node.stop()
      } catch (err) {
        events('node.stop-error', { error: toError(err).message }, 'warn')
      }
      events('node.stopped', {})
    })()
    return stopping
  }
  return { node, api, services: overlay, controlPort: control.port, stop }
}

/**
 * The home node: the peer core (shared/src/peer) around a js-libp2p node built from the node's
 * transports (node/src/transports.ts), its identity on disk, the optional relay hop (super-peer), the
 * reachability tracker and the local control API.
 *
 * Start order: the bootstrap request, the identity, the single-instance check and the edge mailbox
 * fetch (local-start.ts; `edgeswarm node` runs it before loading this module), then libp2p, while the
 * bootstrap document is in flight; once both are there the core (transfers, path checks, reservations
 * on both shards at once); overlay services; control API. Stop runs in reverse. `node.started`'s
 * `startupMs` says when each step was done.
 *
 * @example
 * ```ts
 * const daemon = await startDaemon(resolveNodeOptions({ bootstrap: 'http://127.0.0.1:8787' }), events)
 * console.log(daemon.node.peerId.toString())
 * await daemon.stop()
 * ```
 */
import { dcutr } from '@libp2p/dcutr'
import { identifyPush } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import pTimeout from 'p-timeout'
import * as D from '#shared/defaults.ts'
import { BootstrapError, toError } from '#shared/errors.ts'
import { confirmListenAddrs } from '#shared/libp2p-compat/components.ts'
import { isRelayed } from '#shared/peer/classify.ts'
import { peerEvents } from '#shared/peer/events.ts'
import { peerLibp2pOptions } from '#shared/peer/libp2p-options.ts'
import { PeerCore } from '#shared/peer/peer-core.ts'
import type { KeptRelay } from '#shared/peer/reservations.ts'
import { type EventSink, type PeerEnvironment, ServiceHost } from '#shared/peer/service.ts'
import type { BootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { overlayServices } from '#shared/services/index.ts'
import type { RoutingService } from '#shared/services/routing/service.ts'
import { startComputeWorker } from './compute/start-worker.ts'
import { newToken, removeControlInfo, writeControlInfo } from './control/files.ts'
import { serviceRoutes } from './control/service-routes.ts'
import { httpFetch } from './http-fetch.ts'
import { type LocalStart, startLocal } from './local-start.ts'
import { setPublicCidrs } from './nat/public-cidr.ts'
import { ReachabilityTracker } from './nat/reachability.ts'
import { nodeRoutes } from './node-api.ts'
import type { NodeOptions } from './options.ts'
import { SuperPeer } from './relay/super-peer.ts'
import { nodeTransports } from './transports.ts'

export interface Daemon {
  node: Libp2p
  core: PeerCore
  /** The overlay services (shared/src/services) running on this node. */
  services: ServiceHost
  controlPort: number
  stop: () => Promise<void>
}

/** The document's super-peers as relays to reserve on: never ourselves, never a shard. */
function superPeerRelays(doc: BootstrapDocument, self: string): KeptRelay[] {
  const shards = new Set(doc.relays.map((r) => r.peerId))
  return doc.superPeers
    .filter((p) => p.peerId !== self && !shards.has(p.peerId))
    .map((p) => ({ peerId: p.peerId, addrs: p.addrs }))
}

/**
 * `local`: the bootstrap read, identity, storage and mailbox drain `startLocal` set up already (else
 * done here).
 * `marks`: earlier start-up marks (ms since the process started) for `node.started`'s `startupMs`.
 */
export async function startDaemon(
  options: NodeOptions,
  events: EventSink,
  local?: LocalStart,
  marks: Record<string, number> = {},
): Promise<Daemon> {
  const mark = (name: string) => {
    marks[name] = Math.round(performance.now())
  }
  mark('daemon')
  setPublicCidrs(options.publicCidrs)
  // the bootstrap document has been in flight since startLocal began (local-start.ts): nothing before
  // the reservations needs it, so libp2p is built meanwhile (measured on loopback, bench/join.ts:
  // waiting for it first put its ~100 ms round trip in front of libp2p's start)
  const { privateKey, storage, drain, readyMs, source, loading } = await (local ??
    startLocal(options, events))
  marks.local = Math.round(readyMs)
  const isPublic = () => reachability.get().reachability === 'public'
  const reachability = new ReachabilityTracker(events, (host) => confirmListenAddrs(node, host))
  const superPeer = options.relay
    ? await SuperPeer.create({ events, networkKey: options.networkKey, isPublic })
    : undefined
  // libp2p is built while the bootstrap document is in flight: only WebRTC needs it (its STUN servers),
  // and WebRTC reads them at each connection
  const iceServers = () =>
    [...new Set([...(source.doc?.stun ?? []), ...options.stun])].map((urls) => ({ urls }))
  const { transports, circuit } = nodeTransports({ webrtc: options.webrtc, iceServers })
  mark('transports')
  const overlay = new ServiceHost(
    overlayServices({ routing: { neighbours: options.neighbours }, messages: { drain } }),
  )
  const env: PeerEnvironment = {
    runtime: 'node',
    edgeUrl: options.bootstrapUrl,
    networkKey: options.networkKey,
    storage,
    isPublic,
    fetch: httpFetch,
  }
  const node: Libp2p<Record<string, unknown>> = await createLibp2p(
    peerLibp2pOptions({
      privateKey,
      listen: [...options.listen],
      transports,
      networkKey: options.networkKey,
      services: {
        identifyPush: identifyPush(),
        dcutr: dcutr(),
        ...(superPeer === undefined ? {} : { relay: superPeer.service() }),
        ...overlay.libp2pServices(env),
      },
      gater: superPeer?.gater() ?? {},
      extra: {
        connectionManager: {
          maxConnections: D.DEFAULT_NODE_MAX_CONNECTIONS,
          maxIncomingPendingConnections: D.DEFAULT_NODE_MAX_PENDING_CONNECTIONS,
        },
      },
    }),
  )
  // a --relay node withdraws the hop protocol (registered by the relay service at start) before it
  // dials anyone: a shard that identified us in between would list us as a super-peer unproven
  if (superPeer !== undefined) await superPeer.attach(node, node.services.relay)
  mark('libp2p')
  try {
    const [loaded] = await loading
    if (loaded.status === 'rejected') throw loaded.reason
    const doc = loaded.value
    if (doc.private && options.networkKey === undefined) {
      throw new BootstrapError(
        `network ${doc.network} is private: pass --network-key or set EDGESWARM_NETWORK_KEY`,
      )
    }
  } catch (err) {
    // the bootstrap's error is the one to report, not a failure to stop what it left half-started
    await Promise.resolve(node.stop()).catch(() => {})
    throw err
  }
  mark('bootstrap')

  const self = node.peerId.toString()
  const core = new PeerCore({
    node,
    source,
    transport: circuit(),
    events: peerEvents(events),
    webrtc: options.webrtc,
    isPublicAddr: (a) => !isPrivate(a),
    superPeers: (d) => superPeerRelays(d, self),
    onVerified: (conn) => {
      if (conn.direction === 'inbound' && !conn.remoteAddr.toString().includes('/webrtc')) {
        reachability.inboundDirect(conn.remoteAddr)
        superPeer?.onReachability(isPublic())
      }
    },
  })
  // what the shards see of us (identify's observed address) is our evidence of public reachability
  node.addEventListener('peer:identify', (evt) => {
    const { observedAddr, connection, peerId } = evt.detail
    if (observedAddr === undefined || isRelayed(connection.remoteAddr)) return
    if (!core.shards.has(peerId.toString())) return
    reachability.observed(peerId.toString(), observedAddr)
    superPeer?.onReachability(isPublic())
  })

  await core.start()
  mark('core')
  source.startRefreshing(D.DEFAULT_SUPER_PEER_REFRESH_MS)
  // the join first: starting the overlay services (their modules' first use, protocol handlers, first
  // requests to the edge) took ~35 ms of CPU from the shards' handshakes on loopback (bench/join.ts);
  // they start once the first reservations are made or failed, or after DEFAULT_SERVICES_AFTER_JOIN_MAX_MS
  await pTimeout(core.joined(), { milliseconds: D.DEFAULT_SERVICES_AFTER_JOIN_MAX_MS, fallback: () => {} })
  mark('joined')
  await overlay.start({ ...env, node, events })
  if (options.workerCpus > 0) await startComputeWorker(overlay, options.workerCpus)

  const token = newToken()
  const routes = {
    ...nodeRoutes({
      core,
      bootstrapUrl: options.bootstrapUrl,
      reachability,
      superPeer,
      routing: () => overlay.get<RoutingService>('routing')?.status(),
    }),
    ...serviceRoutes(overlay),
  }
  // loaded here, after the join: @hono/node-server subclasses the global Request and Response when its
  // module is evaluated, and reading those globals loads undici (~20 ms of CPU, docs/NOTES.md "Start-up")
  const { startControlServer } = await import('./control/server.ts')
  const control = await startControlServer(options.controlPort, token, routes, (err) =>
    events('control.error', { error: err.message }, 'error'),
  )
  await writeControlInfo(options.dataDir, { port: control.port, token, pid: process.pid })
  events('node.started', {
    peerId: self,
    // where the start went, each mark in ms since the process started: `cli` modules loaded and flags
    // parsed, `local` identity and data dir ready, `daemon` startDaemon entered, `transports` built,
    // `libp2p` started, `bootstrap` the document checked (fetched since `daemon`, alongside the rest;
    // `bootstrap.loaded` says when it came), `core` reservations under way (they start once both
    // libp2p and the document are there), `uptime` now
    startupMs: { ...marks, uptime: Math.round(performance.now()) },
    control: control.port,
    listen: node.getMultiaddrs().map((a) => a.toString()),
  })

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      source.stop()
      core.stop()
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
  return { node, core, services: overlay, controlPort: control.port, stop }
}

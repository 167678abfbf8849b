/**
 * One relay shard's libp2p node: circuit-relay-v2 hop server, identify, ping, noise (native AEAD),
 * yamux, over the Durable Object's accepted WebSockets; our quotas and private-mode gate on top
 * (shared/src/relay). Started once per Durable Object, kept resident (no hibernation: the node's
 * noise/yamux state and timers live in memory).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify, identifyPush } from '@libp2p/identify'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { importNetworkKey } from '#shared/auth.ts'
import type { RelayConfig } from '#shared/config.ts'
import { leanNoise } from '#shared/libp2p-compat/noise-frames.ts'
import { halfWindowUpdates } from '#shared/libp2p-compat/yamux-window.ts'
import { RelayAuthGate } from '#shared/relay/auth-gate.ts'
import type { RelayEventSink } from '#shared/relay/events.ts'
import { RelayGuard } from '#shared/relay/relay-guard.ts'
import {
  relayConnectionManagerInit,
  relayConnectionMonitorInit,
  relayPingInit,
  relayServerInit,
  relayYamuxInit,
} from '#shared/relay/relay-options.ts'
import { overlayDht } from '#shared/services/routing/dht.ts'
import type { ShardPeer, ShardStats } from '../objects/shard-contract.ts'
import { installBroadcastChannelStub } from './broadcast-channel.ts'
import { workerdNoiseCrypto } from './noise-crypto.ts'
import { relayLogger } from './relay-logger.ts'
import { ipOf, listedAddrs, MAX_SHARD_SUPER_PEERS, offersHop } from './super-peers.ts'
import { activeTimers } from './timer-count.ts'
import { durableObjectWebSockets, SocketHub } from './transport.ts'

export interface ShardNodeInit {
  shard: string
  privateKey: PrivateKey
  config: RelayConfig
  /** The address peers dial, without `/p2p` (see addresses.ts). */
  announce: Multiaddr
  /** Private mode when set. */
  networkKey?: string
  onEvent: RelayEventSink
  onError: (context: string, err: unknown) => void
  /** Also serve the overlay's Kademlia DHT (`RELAY_DHT=on`; measured in docs/NOTES.md). @default false */
  dht?: boolean
}

/** Largest peer sample a stats answer lists. */
const MAX_STATS_PEERS = 64

export class ShardNode {
  readonly hub: SocketHub
  readonly guard: RelayGuard
  readonly node: Libp2p
  readonly #shard: string
  readonly #started = Date.now()
  /**
   * Peers whose own identify (or identify push) lists circuit-relay-v2 hop, with the addresses it
   * gave, so that a stats answer looks at a few peers, not every connection; dropped on disconnect.
   * Not from the peer store: libp2p adds to a peer's protocols every protocol that peer opens a stream
   * with, and every node asking this shard for a reservation opens a hop stream. A node whose
   * reservation was refused and retried was then listed as a super-peer although it never offered hop
   * (the flaky super-peer case of test/e2e/node-relay.test.ts).
   */
  readonly #hopPeers = new Map<string, { id: PeerId; addrs: string[] }>()

  private constructor(shard: string, hub: SocketHub, guard: RelayGuard, node: Libp2p) {
    this.#shard = shard
    this.hub = hub
    this.guard = guard
    this.node = node
    node.addEventListener('peer:identify', (evt) => {
      const { peerId, protocols, listenAddrs, signedPeerRecord } = evt.detail
      const addrs = (signedPeerRecord?.addresses ?? listenAddrs).map((a) => a.toString())
      if (offersHop(protocols)) this.#hopPeers.set(peerId.toString(), { id: peerId, addrs })
      else this.#hopPeers.delete(peerId.toString())
    })
    node.addEventListener('peer:disconnect', (evt) => this.#hopPeers.delete(evt.detail.toString()))
  }

  static async start(init: ShardNodeInit): Promise<ShardNode> {
    installBroadcastChannelStub()
    const { config } = init
    const hub = new SocketHub()
    const gate =
      init.networkKey === undefined || init.networkKey === ''
        ? undefined
        : new RelayAuthGate({
            key: await importNetworkKey(init.networkKey),
            graceMs: config.authGraceSeconds * 1000,
            onEvent: init.onEvent,
            onError: init.onError,
            onExpired: (peer) =>
              guard.refuse('unauthorized', {
                event: 'connection',
                result: 'closed',
                reason: 'unauthorized',
                peer: peer.toString(),
              }),
          })
    const guard = new RelayGuard({
      config,
      onEvent: init.onEvent,
      onError: init.onError,
      ...(gate === undefined ? {} : { auth: gate }),
    })
    const node = await createLibp2p({
      privateKey: init.privateKey,
      // the relay server's errors (the causes behind its MALFORMED_MESSAGE answers) reach our JSON log
      logger: relayLogger(init.onError),
      addresses: { listen: [hub.listenAddr(init.shard)], announce: [init.announce.toString()] },
      transports: [durableObjectWebSockets(hub)],
      connectionEncrypters: [leanNoise(noise({ crypto: workerdNoiseCrypto }))],
      // a window update every half window, not after every frame (a relayed frame cost one back)
      streamMuxers: [halfWindowUpdates(yamux(relayYamuxInit(config)))],
      connectionGater: { ...guard.gater },
      connectionManager: relayConnectionManagerInit(config),
      connectionMonitor: relayConnectionMonitorInit(),
      services: {
        identify: identify(),
        // a home node proves public reachability after it connected: its new listen addresses and its
        // hop protocol reach us by push (superPeers())
        identifyPush: identifyPush(),
        ping: ping(relayPingInit()),
        relay: circuitRelayServer(relayServerInit(config)),
        ...(init.dht === true ? { dht: overlayDht({ server: true }) } : {}),
      },
    })
    guard.attach(node, node.services.relay)
    gate?.attach(node)
    return new ShardNode(init.shard, hub, guard, node)
  }

  /** Multiaddrs peers dial, each ending in `/p2p/<shard peer ID>`. */
  addrs(): string[] {
    return this.node.getMultiaddrs().map((a) => a.toString())
  }

  /**
   * Connected peers that offer circuit-relay-v2 hop, with their direct listen addresses on the IP their
   * own connection comes from (the anti-abuse rule of super-peers.ts), at most MAX_SHARD_SUPER_PEERS.
   */
  superPeers(): ShardPeer[] {
    const out: ShardPeer[] = []
    for (const [peerId, peer] of this.#hopPeers) {
      if (out.length >= MAX_SHARD_SUPER_PEERS) break
      const ips = new Set<string>()
      for (const conn of this.node.getConnections(peer.id)) {
        const ip = conn.status === 'open' ? ipOf(conn.remoteAddr.toString()) : undefined
        if (ip !== undefined) ips.add(ip)
      }
      const addrs = listedAddrs(peerId, peer.addrs, ips)
      if (addrs.length > 0) out.push({ peerId, addrs })
    }
    return out
  }

  stats(maxPeers = MAX_STATS_PEERS): ShardStats {
    const addrs = this.addrs()
    const peers: ShardPeer[] = this.guard
      .reservedPeers()
      .slice(0, Math.min(maxPeers, MAX_STATS_PEERS))
      .map((p) => ({ peerId: p.toString(), addrs: addrs.map((a) => `${a}/p2p-circuit/p2p/${p.toString()}`) }))
    return {
      shard: this.#shard,
      peerId: this.node.peerId.toString(),
      addrs,
      connections: this.node.getConnections().length,
      reservations: this.guard.reservations,
      circuits: this.guard.circuits.size,
      circuitsTotal: this.guard.circuitsTotal,
      bytesRelayed: this.guard.bytesRelayed,
      refusals: { ...this.guard.refusals },
      peers,
      superPeers: this.superPeers(),
      uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
      timers: activeTimers(),
      ...(this.node.services.dht === undefined
        ? {}
        : {
            dhtRoutingTable: (this.node.services.dht as unknown as { routingTable: { size: number } })
              .routingTable.size,
          }),
    }
  }
}

/**
 * The overlay's Kademlia DHT: stock `@libp2p/kad-dht` under our own protocol (DHT_PROTOCOL), so it
 * never mixes with the public IPFS DHT, plus the hop counting the routing API reports.
 *
 * Records from the network are validated before kad-dht stores them: only `/pk/` value records (the
 * public-key validator; any other namespace is refused by kad-dht for want of a validator), provider
 * records only for the peer that sends them (kad-dht's ADD_PROVIDER rule), and every peer's address
 * list bounded and parsed (peerInfoMapper). Servers: peers that proved public reachability; everyone
 * else (NATed nodes, browsers) is a client and only asks.
 *
 * Hops: a peer the query started from (our routing table) is 1 hop; a peer learnt from a response of
 * a hop-n peer is n+1; an answer from our own store is 0. That is the path length the answer took.
 *
 * @example
 * ```ts
 * const services = { dht: overlayDht({ server: true }) }
 * for await (const p of dhtProviders(node.services.dht, cid, node.peerId, { start })) console.log(p.hops)
 * ```
 */

import type { PeerId, PeerInfo } from '@libp2p/interface'
import { type KadDHT, kadDHT, type QueryEvent, type ValidateFn } from '@libp2p/kad-dht'
import type { CID } from 'multiformats/cid'
import { DHT_PROTOCOL, MAX_ROUTING_RECORD_ADDRS } from '../../constants.ts'
import {
  DEFAULT_DHT_ALPHA,
  DEFAULT_DHT_DISJOINT_PATHS,
  DEFAULT_DHT_REQUEST_TIMEOUT_MS,
} from '../../defaults.ts'
import type { ProviderResult } from './types.ts'

export interface OverlayDhtInit {
  /** Serve queries (publicly reachable peers). */
  server: boolean
  /** Peers asked in parallel per query path. @default DEFAULT_DHT_ALPHA */
  alpha?: number
  /** Disjoint paths per query. @default DEFAULT_DHT_DISJOINT_PATHS */
  disjointPaths?: number
  /** Least time one DHT request (dial + answer) gets (ms). @default DEFAULT_DHT_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number
}

/** Bounds a peer's address list (kad-dht's default mapper drops private addresses: home LANs need them). */
export function boundedAddrs(peer: PeerInfo): PeerInfo {
  return { id: peer.id, multiaddrs: peer.multiaddrs.slice(0, MAX_ROUTING_RECORD_ADDRS) }
}

/** kad-dht's own `/pk/` validator (checks the key is the hash of the public key it carries). */
const pkValidator: ValidateFn = async (key, value) => {
  const { publicKeyFromProtobuf } = await import('@libp2p/crypto/keys')
  const { peerIdFromPublicKey } = await import('@libp2p/peer-id')
  const id = peerIdFromPublicKey(publicKeyFromProtobuf(value))
  const expected = new TextDecoder().decode(key.subarray(0, 4)) === '/pk/' ? key.subarray(4) : undefined
  const mh = id.toMultihash().bytes
  if (
    expected === undefined ||
    expected.byteLength !== mh.byteLength ||
    expected.some((b, i) => b !== mh[i])
  ) {
    throw new Error('public key record does not match its key')
  }
}

export function overlayDht(init: OverlayDhtInit) {
  return kadDHT({
    protocol: DHT_PROTOCOL,
    clientMode: !init.server,
    alpha: init.alpha ?? DEFAULT_DHT_ALPHA,
    disjointPaths: init.disjointPaths ?? DEFAULT_DHT_DISJOINT_PATHS,
    networkDialTimeout: { minTimeout: init.requestTimeoutMs ?? DEFAULT_DHT_REQUEST_TIMEOUT_MS },
    // kad-dht pings a new contact before it enters the routing table (and old ones before eviction):
    // on stock 5 s a loaded peer's joins failed those pings and its table stayed at 2-4 peers
    pingNewContactTimeout: { minTimeout: init.requestTimeoutMs ?? DEFAULT_DHT_REQUEST_TIMEOUT_MS },
    pingOldContactTimeout: { minTimeout: init.requestTimeoutMs ?? DEFAULT_DHT_REQUEST_TIMEOUT_MS },
    peerInfoMapper: boundedAddrs,
    // only the public-key namespace: a PUT_VALUE for any other key is refused, never stored
    validators: { pk: pkValidator },
    selectors: { pk: () => 0 },
  })
}

/** Tracks query depth: start peers are 1 hop, peers learnt from a hop-n response n+1. */
export class HopCounter {
  readonly #depth = new Map<string, number>()
  readonly #self: string

  constructor(self: PeerId) {
    this.#self = self.toString()
  }

  see(ev: QueryEvent): void {
    if (ev.name !== 'PEER_RESPONSE') return
    const d = this.of(ev.from)
    for (const p of ev.closer) {
      const id = p.id.toString()
      if (!this.#depth.has(id)) this.#depth.set(id, d + 1)
    }
  }

  of(from: PeerId): number {
    const id = from.toString()
    if (id === this.#self) return 0
    return this.#depth.get(id) ?? 1
  }
}

export async function* dhtProviders(
  dht: KadDHT,
  cid: CID,
  self: PeerId,
  opts: { start: number; signal: AbortSignal },
): AsyncGenerator<ProviderResult> {
  const hops = new HopCounter(self)
  for await (const ev of dht.findProviders(cid, { signal: opts.signal })) {
    hops.see(ev)
    if (ev.name !== 'PROVIDER') continue
    for (const p of ev.providers) {
      yield {
        peerId: p.id.toString(),
        addrs: p.multiaddrs.map((a) => a.toString()),
        source: 'dht',
        hops: hops.of(ev.from),
        ms: Date.now() - opts.start,
      }
    }
  }
}

export async function dhtFindPeer(
  dht: KadDHT,
  peer: PeerId,
  self: PeerId,
  opts: { signal: AbortSignal },
): Promise<{ addrs: string[]; hops: number } | undefined> {
  // kad-dht answers from the local peer store first, even from an entry without addresses (a peer
  // met only through an inbound connection, or one whose addresses expired): such an answer locates
  // nothing, so the network is asked instead
  let emptyLocal = false
  for (const useCache of [true, false]) {
    if (!useCache && !emptyLocal) break
    const hops = new HopCounter(self)
    for await (const ev of dht.findPeer(peer, { signal: opts.signal, useCache })) {
      hops.see(ev)
      if (ev.name !== 'FINAL_PEER' || !ev.peer.id.equals(peer)) continue
      if (ev.peer.multiaddrs.length > 0) {
        return { addrs: ev.peer.multiaddrs.map((a) => a.toString()), hops: hops.of(ev.from) }
      }
      emptyLocal ||= ev.from.equals(self)
    }
  }
  return undefined
}

/**
 * Optimistic provide (after Trautwein et al., "Accelerating Content Routing with Optimistic Provide",
 * ACM SIGCOMM 2024): while kad-dht's provide walks to a key's closest peers, every peer that answers
 * the walk and lies within the distance where the key's K closest peers are expected gets the provider
 * record at once, instead of after the walk. provide() returns once a few of them hold it; the walk
 * still ends with kad-dht's own ADD_PROVIDER to the final closest set.
 *
 * The expected distance comes from an estimate of the network's size, read off our own routing table:
 * in a network of N uniformly spread kad IDs the i-th closest peer to any point lies at 1/(N+1) of the
 * key space times i, and the buckets next to our own ID hold every peer there is in them (they are far
 * from full), so the distances of our closest contacts give N.
 *
 * The message is the Kademlia `ADD_PROVIDER` of the libp2p kad-dht spec (kad-dht's `dht.proto`:
 * `Message { type = 1, key = 2, providers = 9 }`, `PeerInfo { id = 1, multiaddrs = 2 }`), written on
 * our DHT protocol as one length-prefixed message with no answer, as kad-dht itself sends it. Stock
 * kad-dht keeps the record only for the peer that sends it, with at least one address.
 *
 * @example
 * ```ts
 * const n = networkSizeEstimate(selfKadId, contactKadIds) // e.g. 190
 * if (withinKClosest(keyKadId, peerKadId, n, 20)) await sendAddProvider(node, peer, cid)
 * ```
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { type Codec, encodeMessage, message } from 'protons-runtime'
import { DHT_PROTOCOL } from '../../constants.ts'

/** kad-dht's MessageType.ADD_PROVIDER. */
const ADD_PROVIDER = 2
const TAG_TYPE = (1 << 3) | 0
const TAG_KEY = (2 << 3) | 2
const TAG_PROVIDERS = (9 << 3) | 2
const TAG_PEER_ID = (1 << 3) | 2
const TAG_PEER_ADDR = (2 << 3) | 2

interface AddProvider {
  key: Uint8Array
  id: Uint8Array
  addrs: Uint8Array[]
}

let codec: Codec<AddProvider, AddProvider> | undefined

function addProviderCodec(): Codec<AddProvider, AddProvider> {
  codec ??= message<AddProvider, AddProvider>(
    (obj, w) => {
      w.uint32(TAG_TYPE)
      w.int32(ADD_PROVIDER)
      w.uint32(TAG_KEY)
      w.bytes(obj.key)
      w.uint32(TAG_PROVIDERS)
      w.fork()
      w.uint32(TAG_PEER_ID)
      w.bytes(obj.id)
      for (const a of obj.addrs) {
        w.uint32(TAG_PEER_ADDR)
        w.bytes(a)
      }
      w.ldelim()
    },
    // write-only: kad-dht decodes it on the other side
    () => {
      throw new Error('ADD_PROVIDER is only encoded here')
    },
    function* () {},
  )
  return codec
}

/** `ADD_PROVIDER` for `cid` (its multihash, as kad-dht keys provider records) naming `self` at `addrs`. */
export function encodeAddProvider(cid: CID, self: PeerId, addrs: Multiaddr[]): Uint8Array {
  return encodeMessage(
    { key: cid.multihash.bytes, id: self.toMultihash().bytes, addrs: addrs.map((a) => a.bytes) },
    addProviderCodec(),
  )
}

/** Sends one ADD_PROVIDER to `peer` over our DHT protocol; resolves once it is written (no answer comes). */
export async function sendAddProvider(
  node: Libp2p,
  peer: PeerId,
  msg: Uint8Array,
  signal: AbortSignal,
): Promise<void> {
  const stream = await node.dialProtocol(peer, DHT_PROTOCOL, { signal })
  try {
    await lpStream(stream).write(msg, { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

/** The XOR distance of two kad IDs as a share of the key space (0..1, from their first 48 bits). */
export function keyspaceDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0
  for (let i = 0; i < 6; i++) d = d * 256 + ((a[i]! ^ b[i]!) & 0xff)
  return d / 2 ** 48
}

/** Contacts nearest our own ID that the estimate reads (the buckets that far out are complete). */
const ESTIMATE_CONTACTS = 8

/**
 * The network's size from our closest contacts: their distances d_i (i = 1, 2, ...) should be i/(N+1);
 * the least-squares fit of that line through the origin gives N. Undefined for an empty table.
 */
export function networkSizeEstimate(self: Uint8Array, contacts: Iterable<Uint8Array>): number | undefined {
  const d = [...contacts]
    .map((c) => keyspaceDistance(self, c))
    .sort((a, b) => a - b)
    .slice(0, ESTIMATE_CONTACTS)
  if (d.length === 0) return undefined
  let num = 0
  let den = 0
  for (const [i, di] of d.entries()) {
    num += (i + 1) * di
    den += (i + 1) ** 2
  }
  // slope = 1/(N+1); all contacts at distance 0 cannot happen with SHA-256 IDs, but stay finite
  const slope = num / den
  return slope > 0 ? Math.max(d.length, 1 / slope - 1) : d.length
}

/**
 * Whether a peer at `peer` is expected among the `k` closest to `key` in a network of `n` peers: its
 * distance is within that of the k-th closest, k/(n+1) of the key space.
 */
export function withinKClosest(key: Uint8Array, peer: Uint8Array, n: number, k: number): boolean {
  return keyspaceDistance(key, peer) <= k / (n + 1)
}

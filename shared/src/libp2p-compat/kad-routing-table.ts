/**
 * kad-dht's routing table (`dht.routingTable`, not on the public `KadDHT` interface). Two parts:
 * - `kb.toIterable()` and `size`: the table's contacts with their kad IDs, which the neighbour
 *   manager ranks (closest peers, one long link per k-bucket);
 * - `closestPeerTagger`: every 5 s kad-dht tags its 20 closest peers `keep-alive-kad-dht`, and
 *   libp2p's reconnect queue redials any keep-alive peer the moment it disconnects. The closest-20
 *   relation is not symmetric, so a peer that trimmed a connection got it redialled at once by the
 *   other side and stayed at 26-31 neighbours against a target of 24 (docs/NOTES.md, "Routing under
 *   load"). kad-dht 16 has no option for it (`closestPeerSetSize` is not passed through `kadDHT()`),
 *   so the neighbour manager stops the tagger and chooses the peers it keeps itself.
 * Contract test: kad-routing-table.test.ts (a real kad-dht node has both, with these members).
 */
import type { PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

export interface KadContact {
  kadId: Uint8Array
  peerId: PeerId
}

export interface KadRoutingTableLike {
  size: number
  kb: { toIterable: () => Iterable<KadContact> }
  closestPeerTagger: { stop: () => void }
}

export function kadRoutingTableOf(dht: KadDHT): KadRoutingTableLike {
  const table = (dht as unknown as { routingTable?: Partial<KadRoutingTableLike> }).routingTable
  if (
    typeof table?.size !== 'number' ||
    typeof table.kb?.toIterable !== 'function' ||
    typeof table.closestPeerTagger?.stop !== 'function'
  ) {
    throw new Error(
      'libp2p-compat: kad-dht routingTable.{size, kb.toIterable, closestPeerTagger.stop} is missing (kad-dht changed?)',
    )
  }
  return table as KadRoutingTableLike
}

/** Stops kad-dht tagging its closest peers keep-alive (tags already set are removed by the caller). */
export function stopClosestPeerTagging(dht: KadDHT): void {
  kadRoutingTableOf(dht).closestPeerTagger.stop()
}

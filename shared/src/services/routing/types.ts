/**
 * The routing service's API (`ctx.service<Routing>('routing')`): resource location for every other
 * service. Implemented in this folder; files and compute code against this interface only.
 */

/** Where an answer came from: the edge's super-peer index or the peers' Kademlia DHT. */
export type RoutingSource = 'edge' | 'dht'

export interface ProviderResult {
  peerId: string
  /** Multiaddrs to dial (direct where the edge or DHT vouches for them, circuit addresses otherwise). */
  addrs: string[]
  source: RoutingSource
  /** Network hops the answer took (1 for the edge index, the DHT query's path length otherwise). */
  hops: number
  /** Milliseconds from the start of the lookup to this answer. */
  ms: number
}

export interface PeerResult {
  peerId: string
  addrs: string[]
  source: RoutingSource
  hops: number
  ms: number
}

export interface ProvideResult {
  cid: string
  /** Where the record was stored: the edge index, the DHT, or both. */
  stored: RoutingSource[]
  ms: number
}

export interface LookupOptions {
  signal?: AbortSignal
  /** Stop after this many providers. */
  limit?: number
}

export interface Routing {
  /** Announces that this peer provides `cid` (a CIDv1 string), and keeps announcing it until `unprovide`. */
  provide: (cid: string, options?: { signal?: AbortSignal }) => Promise<ProvideResult>
  unprovide: (cid: string) => Promise<void>
  /** Streams providers as they are found, edge and DHT in parallel, each peer once. */
  findProviders: (cid: string, options?: LookupOptions) => AsyncIterable<ProviderResult>
  /** Finds a peer's addresses; throws a NotFoundError when neither the edge nor the DHT knows it. */
  findPeer: (peerId: string, options?: { signal?: AbortSignal }) => Promise<PeerResult>
}

/**
 * Contract between the Worker (routes) and a RelayShard Durable Object. The Worker talks to a shard
 * only through `stub.fetch()` with these paths and headers; the shard never sees a raw client request
 * that the Worker has not validated.
 */
import type { RelayRefusalReason } from '#shared/relay/events.ts'

/** Internal origin used for Worker -> DO requests (never reachable from outside). */
export const SHARD_ORIGIN = 'https://shard.internal'
/** `GET` -> ShardStats JSON. Starts the shard's libp2p node if it is not running yet. */
export const SHARD_STATS_PATH = '/internal/stats'
/** WebSocket upgrade -> the shard accepts the socket and hands it to its libp2p listener. */
export const SHARD_CONNECT_PATH = '/internal/connect'

/** Headers the Worker sets on every request it forwards to a shard. */
export const SHARD_HEADERS = {
  /** Shard name (`0`, `1`, ...). */
  shard: 'x-edgeswarm-shard',
  /** Public base URL of the deployment, e.g. `https://edgeswarm.example.workers.dev`. */
  publicUrl: 'x-edgeswarm-public-url',
  /** `host` when the public URL above is the shard's own (routed by Host, app/shard-hosts.ts), else absent. */
  routing: 'x-edgeswarm-shard-routing',
  /** Remote client IP (from `CF-Connecting-IP`, or the socket address under wrangler dev). */
  clientIp: 'x-edgeswarm-client-ip',
} as const

/** Per-reason refusal counters: the relay guard's stable labels (shared/src/relay/events.ts). */
export type RefusalReason = RelayRefusalReason

/** Every RefusalReason, for metrics that show each reason (0 included) so that series do not appear late. */
export const REFUSAL_REASONS = [
  'reservation_limit',
  'circuit_limit',
  'circuit_bytes',
  'circuit_duration',
  'connections_per_ip',
  'connection_limit',
  'unauthorized',
  'malformed',
] as const satisfies readonly RefusalReason[]

export interface ShardPeer {
  peerId: string
  /** Circuit multiaddrs through this shard, `<shard addr>/p2p-circuit/p2p/<peerId>` (for `peers`). */
  addrs: string[]
}

export interface ShardStats {
  shard: string
  peerId: string
  /** Multiaddrs to dial this shard, each ending in `/p2p/<shard peerId>`. */
  addrs: string[]
  connections: number
  reservations: number
  /** Relayed circuits open now. */
  circuits: number
  /** Circuits opened since the shard started. */
  circuitsTotal: number
  /** Bytes carried through circuits since start, both directions. */
  bytesRelayed: number
  refusals: Partial<Record<RefusalReason, number>>
  /** A sample of peers holding reservations (at most `?peers=N`, default all up to 64). */
  peers: ShardPeer[]
  /**
   * Connected home super-peers (identify: circuit-relay-v2 hop), at most 16; `addrs` are their direct
   * listen addresses on the IP their connection to this shard comes from, each ending in `/p2p/<peerId>`
   * (relay/super-peers.ts). Added later: a shard of an older version sends none (read as `[]`).
   */
  superPeers: ShardPeer[]
  /** Seconds since the shard's libp2p node started. */
  uptimeSeconds: number
  /** Active JavaScript timers in the shard's isolate (workerd allows 10,000): relay/timer-count.ts. */
  timers?: number
  /** Routing table size when the shard serves the overlay's DHT (`RELAY_DHT=on`). */
  dhtRoutingTable?: number
}

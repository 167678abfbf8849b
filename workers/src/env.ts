/**
 * The worker's bindings, typed once. Declared in `wrangler.toml` ([vars], Durable Object bindings,
 * assets) and by `wrangler secret put` (NETWORK_KEY, RELAY_IDENTITY_SECRET).
 */
import type { Mailbox } from './objects/mailbox.ts'
import type { ProviderIndex } from './objects/provider-index.ts'

export interface Env {
  RELAY_SHARD: DurableObjectNamespace
  /** The super-peer index's shards (objects/provider-index.ts), `index-<n>`. */
  PROVIDER_INDEX: DurableObjectNamespace<ProviderIndex>
  /** Mailbox Durable Objects, one per recipient peer ID (sealed direct messages for offline peers). */
  MAILBOX: DurableObjectNamespace<Mailbox>
  ASSETS: Fetcher
  NETWORK_NAME: string
  RELAY_SHARDS: string
  STUN_SERVERS: string
  PUBLIC_URL: string
  /** Host name template of shards n ≥ 1, e.g. `shard-{n}.relay.example.com` (app/shard-hosts.ts). */
  SHARD_HOST: string
  /** Local ports of shards 1, 2, ... under `wrangler dev` (app/shard-hosts.ts). */
  SHARD_PORTS: string
  MAX_RESERVATIONS: string
  RESERVATION_TTL_SECONDS: string
  MAX_CIRCUIT_BYTES: string
  MAX_CIRCUIT_DURATION_SECONDS: string
  MAX_CIRCUITS: string
  MAX_CONNECTIONS_PER_IP: string
  MAX_CONNECTIONS: string
  MAX_PENDING_CONNECTIONS: string
  AUTH_GRACE_SECONDS: string
  /** `on`: relay shards also serve the overlay's Kademlia DHT (measured, off by default: docs/NOTES.md). */
  RELAY_DHT: string
  /** Super-peer index bounds (objects/provider-index.ts); empty = the default from shared/src/defaults.ts. */
  ROUTING_MAX_RECORDS_PER_SHARD: string
  ROUTING_MAX_RECORDS_PER_PEER: string
  /** Secret: when set, the network is private and peers must prove it (see docs/PROTOCOLS.md). */
  NETWORK_KEY?: string
  /** Secret: when set, shard keys derive from it; otherwise each shard persists a key in its storage. */
  RELAY_IDENTITY_SECRET?: string
}

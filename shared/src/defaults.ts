/**
 * Every tunable default in one place, with its unit and why. Nothing else in the code base writes a
 * default number; `config.ts` applies these and `defaults.test.ts` keeps docs and constants in step.
 */

// ---- relay shard (edge Durable Object, and `edgeswarm node --relay`) ----

/**
 * Reservations one relay shard holds at once. An idle reservation (its connection's noise + yamux state)
 * costs the shard's isolate ~0.07 MiB of live JS heap, ~0.1 MiB between collections, and the V8 heap
 * reached 111-117 MiB at 500 and 139-156 MiB at 1,000 (workerd, bench/relay.ts ramp): past Cloudflare's
 * 128 MB per-isolate limit. 512 stays under it with room for circuits in flight. workerd's 10,000 active
 * timers per isolate (several per connected peer) stop a shard near 1,000 peers anyway (docs/OPERATIONS.md).
 */
export const DEFAULT_MAX_RESERVATIONS = 512
/** Reservation lifetime (seconds). Peers refresh well before; a disconnect frees the slot at once anyway. */
export const DEFAULT_RESERVATION_TTL_SECONDS = 3600
/** Bytes one relayed circuit may carry (both directions) before the relay cuts it: 1 GiB, enough for real transfers, bounded. */
export const DEFAULT_MAX_CIRCUIT_BYTES = 1024 * 1024 * 1024
/** Lifetime of one relayed circuit (seconds) before the relay cuts it; peers simply dial again. */
export const DEFAULT_MAX_CIRCUIT_DURATION_SECONDS = 3600
/** Concurrent relayed circuits one shard carries. */
export const DEFAULT_MAX_CIRCUITS = 512
/** Concurrent WebSocket connections one remote IP may hold to one shard (NATed households share an IP). */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 32
/**
 * Concurrent connections one shard accepts (js-libp2p's browser build defaults to 100, far too few for
 * a relay). 768, not more: every connection holds several timers and workerd allows an isolate 10,000,
 * which a shard reached at ~925-1,250 connections (bench ramp); past this cap a peer gets a clean 503
 * instead of a shard whose hop requests start failing.
 */
export const DEFAULT_MAX_CONNECTIONS = 768
/** Inbound handshakes in progress at once per shard (js-libp2p browser default is 10). */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 256
/** Seconds an unauthenticated peer may stay connected to a private-mode relay before it is closed. */
export const DEFAULT_AUTH_GRACE_SECONDS = 10

// ---- bootstrap API ----

/** Peers sampled into a bootstrap response unless `?peers=` asks otherwise. */
export const DEFAULT_BOOTSTRAP_PEERS = 16
/** Relay shards of a deployment. */
export const DEFAULT_RELAY_SHARDS = 2
/** Name of a network when the operator sets none. */
export const DEFAULT_NETWORK_NAME = 'edgeswarm'
/**
 * How long the worker waits for one shard's stats (ms) before leaving it out of a bootstrap or metrics
 * answer. The first request to a shard also starts its libp2p node (~0.1-1 s), hence generous.
 */
export const DEFAULT_SHARD_STATS_TIMEOUT_MS = 5_000

// ---- home node ----

/** Relay shards a node keeps reservations on, so that losing one relay does not make it unreachable. */
export const DEFAULT_NODE_RESERVATIONS = 2
/**
 * Home super-peers (bootstrap `superPeers`) a node reserves on besides the shards: one more way in that
 * does not load the edge; one is enough, the shards remain the fallback.
 */
export const DEFAULT_NODE_SUPER_PEER_RESERVATIONS = 1
/** How often a node re-reads the bootstrap document for super-peers that appeared since it joined (ms). */
export const DEFAULT_SUPER_PEER_REFRESH_MS = 60_000
/** First retry delay after a relay drops (ms); doubles up to the max. */
export const DEFAULT_RECONNECT_MIN_MS = 500
/** Largest retry delay after a relay drops (ms). */
export const DEFAULT_RECONNECT_MAX_MS = 30_000
/** Timeout of one dial (ms). */
export const DEFAULT_DIAL_TIMEOUT_MS = 15_000
/** Timeout of the bootstrap HTTP request (ms). */
export const DEFAULT_BOOTSTRAP_TIMEOUT_MS = 10_000
/** TCP port a node listens on; 0 picks a free port. */
export const DEFAULT_NODE_TCP_PORT = 0
/** Local control API port on 127.0.0.1; 0 picks a free port (written to the data dir). */
export const DEFAULT_CONTROL_PORT = 0

// ---- browser peer ----

/** How often the page re-reads `/v1/bootstrap` to learn new peers and shards (ms). */
export const DEFAULT_BROWSER_BOOTSTRAP_REFRESH_MS = 10_000
/** How often every open connection is pinged to refresh its RTT and prove it still carries traffic (ms). */
export const DEFAULT_BROWSER_PING_INTERVAL_MS = 5_000
/** A WebRTC connection that has not echoed a ping within this time is not direct: it is closed and the relay used (ms). */
export const DEFAULT_WEBRTC_VERIFY_TIMEOUT_MS = 8_000
/** Peers the page connects to on its own (besides relays), so the overlay picture stays small and useful. */
export const DEFAULT_BROWSER_AUTO_DIAL_PEERS = 8
/** Timeout of one control API request from the CLI to the daemon (ms); `send` of large payloads sets its own. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 30_000
/** Timeout of the ping that proves a direct connection carries traffic (ms); WebRTC's dead connections fail it. */
export const DEFAULT_PATH_VERIFY_TIMEOUT_MS = 5_000
/** Timeout of one WebRTC upgrade attempt over a relayed connection (ms); measured punches take 0.2-0.6 s. */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 15_000
/** Attempts to upgrade one relayed connection to direct before staying on the relay. */
export const DEFAULT_UPGRADE_ATTEMPTS = 2
/** How often a node re-checks its direct connections with a ping (ms), falling back to the relay when one died. */
export const DEFAULT_PATH_RECHECK_MS = 30_000
/** Transfers (`edgeswarm send`) a node remembers for `status` and tests. */
export const DEFAULT_TRANSFER_HISTORY = 32
/** Largest payload one `edgeswarm send` moves (bytes): 4 GiB. */
export const MAX_SEND_BYTES = 4 * 1024 * 1024 * 1024

// ---- distributed computing (shared/src/services/compute) ----

/** Replicas of each task whose results must agree before it is accepted (BOINC's quorum). */
export const DEFAULT_COMPUTE_REPLICAS = 2
/** Most replicas one task gets when results disagree, before the job reports it as unresolved. */
export const DEFAULT_COMPUTE_MAX_REPLICAS = 6
/** Agreeing results in a row after which a worker is trusted: its results then need no replica except spot checks. */
export const DEFAULT_COMPUTE_TRUST_STREAK = 10
/** Share of a trusted worker's tasks still replicated as spot checks (0..1); keeps replication cost ~1.1x. */
export const DEFAULT_COMPUTE_SPOT_CHECK = 0.1
/** Wall-clock limit of one task on a worker (ms); past it the thread is terminated. */
export const DEFAULT_COMPUTE_TIME_LIMIT_MS = 10_000
/** Largest linear memory a module may declare (64 KiB pages): 256 pages = 16 MiB per running task. */
export const DEFAULT_COMPUTE_MAX_MEMORY_PAGES = 256
/** A lease is this many times the mean observed task time (and at least the minimum below) before reassignment. */
export const DEFAULT_COMPUTE_LEASE_FACTOR = 2
/** Shortest lease (ms): covers a round trip and a fetch even for microsecond tasks. */
export const DEFAULT_COMPUTE_MIN_LEASE_MS = 1_000
/** Tasks kept in flight per worker slot, so a slot never idles for a round trip. */
export const DEFAULT_COMPUTE_PIPELINE = 2
/** How long a coordinator looks for workers before failing with NoWorkersError (ms). */
export const DEFAULT_COMPUTE_WORKER_WAIT_MS = 10_000
/** How often a coordinator looks for new workers while a job runs (ms). */
export const DEFAULT_COMPUTE_DISCOVERY_MS = 5_000
/** Malformed frames tolerated on one compute stream before it is closed. */
export const DEFAULT_COMPUTE_MAX_MALFORMED = 8

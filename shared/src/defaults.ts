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

// ---- messaging: pub/sub (GossipSub) ----

/** Largest pub/sub message payload (bytes): chat-sized; GossipSub drops larger data before decoding it. */
export const DEFAULT_PUBSUB_MAX_MESSAGE_BYTES = 16 * 1024
/** Messages per second one author may publish, and one neighbour may forward to us, on average. 10x the bench's 10/s. */
export const DEFAULT_PUBSUB_RATE_PER_SECOND = 100
/** Burst allowance of that rate (messages): a reconnect's catch-up fits, a flood does not. */
export const DEFAULT_PUBSUB_RATE_BURST = 200
/**
 * Weight of one invalid message in a topic's peer score; the penalty is weight x count² (decaying), so
 * three invalid messages (-90) cross the graylist threshold (-80) and the sender's RPCs are ignored.
 */
export const DEFAULT_PUBSUB_INVALID_MESSAGE_WEIGHT = -10
/** Per-decay-interval (1 s) decay of the invalid-message counter: a single mistake fades within seconds. */
export const DEFAULT_PUBSUB_INVALID_MESSAGE_DECAY = 0.9
/** Score under which a peer's RPCs are ignored (graylisted); GossipSub's own default. */
export const DEFAULT_PUBSUB_GRAYLIST_THRESHOLD = -80
/** How often a subscribed peer looks for topic peers while it has fewer than D_lo of them (ms). */
export const DEFAULT_PUBSUB_DISCOVERY_MS = 5_000
/** Peers from the bootstrap document dialled per discovery round: enough to find D=6 mesh peers in a shared topic. */
export const DEFAULT_PUBSUB_DIAL_PEERS = 8
/** How long `publish` waits for a first topic peer before sending (ms): a fresh daemon needs a discovery round. */
export const DEFAULT_PUBSUB_PUBLISH_WAIT_MS = 10_000
/** Messages a subscription queues for a slow reader before dropping the oldest (NDJSON to a stalled CLI). */
export const DEFAULT_PUBSUB_QUEUE_MESSAGES = 1_024

// ---- messaging: direct messages and the edge mailbox ----

/** Largest direct-message text (bytes, UTF-8). */
export const DEFAULT_DM_MAX_BYTES = 16 * 1024
/** Time a direct message waits for the recipient's delivery receipt over a live connection (ms). */
export const DEFAULT_DM_RECEIPT_TIMEOUT_MS = 10_000
/** Time spent reaching an online recipient before the message goes to its mailbox instead (ms). */
export const DEFAULT_DM_DIAL_TIMEOUT_MS = 8_000
/** How long a mailbox keeps an undelivered message (seconds): a week of being offline. */
export const DEFAULT_MAILBOX_TTL_SECONDS = 7 * 24 * 3600
/** Messages one recipient's mailbox holds; a full mailbox refuses new ones (`mailbox_full`). */
export const DEFAULT_MAILBOX_MAX_MESSAGES = 256
/** Bytes (sealed) one recipient's mailbox holds. */
export const DEFAULT_MAILBOX_MAX_BYTES = 2 * 1024 * 1024
/** Messages one sender may leave in one recipient's mailbox: nobody can fill someone else's box alone. */
export const DEFAULT_MAILBOX_MAX_PER_SENDER = 32
/** Clock skew accepted on a signed mailbox request (ms); a signature is only valid this long. */
export const DEFAULT_MAILBOX_SIGNATURE_SKEW_MS = 120_000
/** How often a peer re-checks its mailbox while running (ms); it also checks on join. */
export const DEFAULT_MAILBOX_POLL_MS = 30_000
/** Received direct messages a peer keeps for `edgeswarm inbox`. */
export const DEFAULT_INBOX_KEEP = 1_000

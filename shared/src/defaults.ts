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
/**
 * Least time a shard waits for a peer's answer to its connection-monitor ping before it drops the
 * connection (ms; libp2p pings every connection every 10 s). js-libp2p's floor is 5 s: a peer whose
 * event loop stalled longer (a loaded machine; measured 8-20 s in bench/messaging.ts) lost its
 * reservation and every circuit through it, though it was alive (docs/NOTES.md, "Messaging"). A dead
 * peer's slot is still freed within ~40 s.
 */
export const DEFAULT_RELAY_PING_TIMEOUT_MS = 30_000

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
/**
 * A home node starts its overlay services once its first reservations are made or failed, at the latest
 * this long after they began (ms): their start took ~35 ms of CPU from the join's handshakes on loopback.
 */
export const DEFAULT_SERVICES_AFTER_JOIN_MAX_MS = 2_000
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
/** Peers the page connects to on its own (besides relays), so the overlay picture stays small and useful. */
export const DEFAULT_BROWSER_AUTO_DIAL_PEERS = 8
/** How long `edgeswarm.dial()` on the page waits for a (direct) connection by default (ms). */
export const DEFAULT_BROWSER_DIAL_WAIT_MS = 30_000
/** Decision-log entries the page keeps (the oldest go first): enough for a test or a glance, bounded. */
export const DEFAULT_EVENT_HISTORY = 200

// ---- peer core (shared/src/peer: node and browser alike) ----

/** Largest retry delay while the bootstrap document cannot be read (ms). */
export const DEFAULT_BOOTSTRAP_RETRY_MAX_MS = 60_000
/** Least time between two bootstrap re-reads triggered by failing relays (ms): a burst of failures reads once. */
export const DEFAULT_BOOTSTRAP_MIN_REFRESH_MS = 2_000
/**
 * Dialling a relay plus its RESERVE exchange (ms): a relay that accepted the connection but granted no
 * reservation within this time is retried. Loopback takes 10-40 ms, the NAT lab 60-200 ms.
 */
export const DEFAULT_RESERVATION_TIMEOUT_MS = 15_000
/** Failed reservations in a row on one relay after which the bootstrap document is re-read (redeployed edge). */
export const DEFAULT_RESERVATION_STALE_AFTER_FAILURES = 3
/** Reservations made at once: every configured relay reserves in parallel (both shards at start). */
export const DEFAULT_RESERVATION_CONCURRENCY = 16
/** Timeout of one control API request from the CLI to the daemon (ms); `send` of large payloads sets its own. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 30_000
/**
 * Timeout of the ping that proves a direct connection carries traffic (ms); @libp2p/webrtc can open
 * `/webrtc` connections that never carry a packet, and those fail it. A live one echoes in milliseconds.
 */
export const DEFAULT_PATH_VERIFY_TIMEOUT_MS = 5_000
/** Timeout of one upgrade attempt (public-address dial or WebRTC over the relay) (ms); punches take 0.2-0.6 s. */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 15_000
/**
 * First retry delay after a failed upgrade (ms): a first ICE attempt on a busy machine sometimes times
 * out where the second succeeds. Doubles (with jitter) up to the max.
 */
export const DEFAULT_UPGRADE_RETRY_MIN_MS = 1_000
/** Largest delay between upgrade attempts (ms): networks change (Wi-Fi to LTE), so a relayed peer keeps trying. */
export const DEFAULT_UPGRADE_RETRY_MAX_MS = 120_000
/**
 * Of two peers, the smaller peer ID starts WebRTC (two crossing offers would collide); the larger one
 * tries itself only when nothing worked after this long (ms), e.g. when the other side is a stock peer.
 */
export const DEFAULT_UPGRADE_ANSWERER_GRACE_MS = 5_000
/**
 * A WebRTC upgrade that has not connected after this many round trips of the relayed connection gets a
 * second attempt alongside (a dial is ~8: signalling stream, offer/answer, ICE, DTLS, SCTP, the init
 * channel): node-datachannel resends a lost first DTLS flight only after a fixed 1 s, which happened in
 * 2 of 7 upgrades in the NAT lab's eim x eim cell (2026-12-01). Within [MIN, MAX] ms.
 */
export const DEFAULT_WEBRTC_HEDGE_RTTS = 6
export const DEFAULT_WEBRTC_HEDGE_MIN_MS = 200
export const DEFAULT_WEBRTC_HEDGE_MAX_MS = 3_000
/**
 * A send of at least this many bytes on a relayed connection that opened less than
 * DEFAULT_SEND_AWAIT_UPGRADE_MS ago waits (up to then) for the upgrade under way: a 64 MiB first send
 * queued the upgrade's signalling behind it on the relay and the upgrade took 1.1-2.4 s instead of
 * ~0.2 s (NAT lab eim x eim, 2026-12-01).
 */
export const DEFAULT_SEND_AWAIT_UPGRADE_MIN_BYTES = 256 * 1024
export const DEFAULT_SEND_AWAIT_UPGRADE_MS = 600
/** How often every open connection is pinged (ms): RTT for the page and `status`, and dead direct links found. */
export const DEFAULT_PATH_PING_INTERVAL_MS = 5_000
/** Failed pings in a row after which a direct connection is dead: one lost ping under a bulk transfer is not. */
export const DEFAULT_PATH_MAX_PING_FAILURES = 2
/** How long a send/ping whose connection died keeps retrying on a fresh one (ms): a relay reconnect takes 0.5-2 s. */
export const DEFAULT_SEND_RETRY_WINDOW_MS = 10_000
/** How long opening a transfer stream may take (ms); the transfer itself is bounded only when the caller asks. */
export const DEFAULT_STREAM_OPEN_TIMEOUT_MS = 30_000
/**
 * How long opening a stream on a relayed connection may take before the circuit counts as dead (ms),
 * at most: a shard that vanished without closing (firewall, crash) leaves the connection "open"; a live
 * circuit opens a stream in one or two round trips (tens of ms in the NAT lab, a few hundred at worst
 * on 2 loaded cores). The peer then goes through another shard at once; a false alarm costs only a
 * detour. Once the circuit's RTT is known (pinged every DEFAULT_PATH_PING_INTERVAL_MS) the wait is
 * DEFAULT_RELAYED_STREAM_OPEN_RTTS round trips, not less than DEFAULT_RELAYED_STREAM_OPEN_MIN_MS.
 */
export const DEFAULT_RELAYED_STREAM_OPEN_TIMEOUT_MS = 1_000
/** Round trips (the circuit's last ping) a relayed stream may take to open before the circuit counts as dead. */
export const DEFAULT_RELAYED_STREAM_OPEN_RTTS = 8
/**
 * Floor of that wait (ms): a ping measured on a quiet moment must not make a busy moment look dead (a
 * stream opens in one round trip, the ping took one or two).
 */
export const DEFAULT_RELAYED_STREAM_OPEN_MIN_MS = 300
/** How long a relay that left a circuit hanging is avoided when dialling peers (ms). */
export const DEFAULT_SUSPECT_RELAY_MS = 30_000
/** Timeout of a whole transfer sent from the page (ms). */
export const DEFAULT_TRANSFER_TIMEOUT_MS = 120_000
/** Concurrent inbound transfer streams per connection. */
export const DEFAULT_TRANSFER_MAX_STREAMS = 64
/** Concurrent ping streams per connection each way: our path checks run beside libp2p's own pings. */
export const DEFAULT_PING_MAX_STREAMS = 16
/** Connections a home node keeps (js-libp2p's Node default is 300; a super-peer carries more). */
export const DEFAULT_NODE_MAX_CONNECTIONS = 512
/** Inbound connections a home node handshakes at once. */
export const DEFAULT_NODE_MAX_PENDING_CONNECTIONS = 64
/** Largest WebSocket message a node accepts (bytes); yamux frames are far smaller. */
export const DEFAULT_NODE_WS_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
/** Transfers (`edgeswarm send`) a node remembers for `status` and tests. */
export const DEFAULT_TRANSFER_HISTORY = 32
/** Largest payload one `edgeswarm send` moves (bytes): 4 GiB. */
export const MAX_SEND_BYTES = 4 * 1024 * 1024 * 1024

// ---- files (swarm download) ----

/** Requests in flight to one peer before its rate is known: two keeps a link busy across one round trip. */
export const DEFAULT_FILES_MIN_PIPELINE = 2
/** Most requests in flight to one peer (1 MiB chunks): 16 MiB queued bounds what a dying peer strands. */
export const DEFAULT_FILES_MAX_PIPELINE = 16
/** A peer's pipeline holds this much of its measured rate (ms): faster peers get deeper pipelines, more work. */
export const DEFAULT_FILES_PIPELINE_TARGET_MS = 1_000
/**
 * A peer that delivers nothing for this long (ms) has its requests re-issued elsewhere and earns a strike;
 * 1 MiB at 1 Mbit/s takes ~8 s, so 15 s spares slow-but-working peers.
 */
export const DEFAULT_FILES_STALL_TIMEOUT_MS = 15_000
/** Strikes (stalls) after which a peer is dropped from a download as dead. */
export const DEFAULT_FILES_MAX_STRIKES = 2
/** In endgame, at most this many peers are asked for the same chunk (the first answer wins). */
export const DEFAULT_FILES_ENDGAME_DUPLICATES = 2
/** Peers one download uses at once: beyond ~8 sources the downloader's own link is the limit. */
export const DEFAULT_FILES_MAX_PEERS = 16
/** How often a download re-asks partial seeds for their have-maps (ms). */
export const DEFAULT_FILES_HAVE_REFRESH_MS = 1_000
/**
 * A `get` that finds no provider holding the root within this time fails (ms): routing answers within a
 * few seconds when anyone provides the CID, so 30 s means unknown or unreachable.
 */
export const DEFAULT_FILES_FIND_TIMEOUT_MS = 30_000
/**
 * Pause between provider rounds while a download runs (ms): each round offers every connected peer and
 * routing's answers, so new seeds and peers whose stream closed are picked up within about this long.
 */
export const DEFAULT_FILES_FIND_INTERVAL_MS = 1_000
/** A peer whose files stream could not be opened is tried again after this long (ms): dead direct paths get replaced. */
export const DEFAULT_FILES_REDIAL_MS = 3_000
/** Opening a files stream gives up after this long (ms), so a dead path does not hold a download's slot. */
export const DEFAULT_FILES_OPEN_TIMEOUT_MS = 10_000
// --- routing (shared/src/services/routing, workers/src/objects/provider-index.ts) ---
/** Provider record lifetime on the edge (s): 2 h, re-announced every half of it, so a gone peer vanishes within 2 h. */
export const DEFAULT_ROUTING_RECORD_TTL_SECONDS = 7_200
/** Longest TTL the edge accepts (s): a record can never outlive a day without its peer re-signing it. */
export const MAX_ROUTING_RECORD_TTL_SECONDS = 86_400
/** Clock skew tolerated on a record's timestamp (ms): bounds replay of an old announcement to 5 min. */
export const DEFAULT_ROUTING_CLOCK_SKEW_MS = 300_000
/** Provider-index Durable Objects (shards by key hash): 4 spreads writes while one lookup touches one DO. */
export const DEFAULT_ROUTING_SHARDS = 4
/** Records one index shard keeps (providers + peers): ~300 B a row, 200k = ~60 MB of SQLite, far under 10 GB. */
export const DEFAULT_ROUTING_MAX_RECORDS_PER_SHARD = 200_000
/** Provider records one peer may hold in one index shard: past it the peer is throttled (429). */
export const DEFAULT_ROUTING_MAX_RECORDS_PER_PEER = 2_048
/** Most providers one answer lists (the spec leaves it open; Kubo's server returns up to 100). */
export const DEFAULT_ROUTING_MAX_PROVIDERS = 100
/** Edge lookups give up after this long (ms) and leave the answer to the DHT. */
export const DEFAULT_ROUTING_EDGE_TIMEOUT_MS = 5_000
/**
 * One announcement attempt gives up after this long (ms). Longer than a lookup: an announcement costs
 * the edge ~50 ms of CPU (signature check, SQLite writes) and a burst queues in one isolate (50 at once
 * under `wrangler dev` on a loaded machine: all answered together after 2.5-6.6 s).
 */
export const DEFAULT_ROUTING_ANNOUNCE_TIMEOUT_MS = 15_000
/** Announcement attempts (timeouts, network errors and 5xx are retried with backoff; 4xx never). */
export const DEFAULT_ROUTING_ANNOUNCE_ATTEMPTS = 3
/**
 * After the edge stored a provide, how long (ms) provide() still waits for the DHT (DEFAULT_ROUTING_PROVIDE_DHT_PEERS
 * acknowledgements) before returning; the walk continues either way.
 */
export const DEFAULT_ROUTING_PROVIDE_WAIT_MS = 2_000
/**
 * provide() returns once this many peers among the key's closest acknowledged the DHT record: peers the
 * walk meets within the expected distance of the key's K-th closest get it at once (optimistic provide,
 * ../services/routing/optimistic.ts), the walk's final closest set after it. A lookup converging on the
 * key asks those peers, so the record is findable in the DHT alone from then on; the rest of K = 20 are
 * stored in the background (docs/NOTES.md, "Routing": what provide latency counts). 0 waits for the
 * whole walk.
 */
export const DEFAULT_ROUTING_PROVIDE_DHT_PEERS = 3
/** A DHT lookup gives up after this long (ms). */
export const DEFAULT_ROUTING_DHT_TIMEOUT_MS = 30_000
/**
 * Most neighbours per peer (connections to non-relay peers), bounded whatever the overlay's size. A peer
 * dials its DEFAULT_NEIGHBOUR_CLOSE closest routing-table peers and one long link per other k-bucket
 * (about 16 at 200 peers); the rest of the room is for peers that dial it.
 */
export const DEFAULT_NEIGHBOURS = 24
/**
 * Closest routing-table peers a peer dials and keeps (Kademlia's near neighbourhood). Less than K = 20:
 * "closest" is not symmetric (at 50 peers, 2-3 of the peers that count us among their 20 closest are not
 * among ours), and 20 of our own plus theirs plus long links did not fit in 24 (measured 26-31).
 */
export const DEFAULT_NEIGHBOUR_CLOSE = 10
/**
 * A peer that closed our connection (it was over its target, or it went away) is not dialled again as a
 * neighbour for this long (ms): without it two peers that disagree redial and trim each other forever.
 */
export const DEFAULT_NEIGHBOUR_BACKOFF_MS = 300_000
/** A connection younger than this (ms) is never dropped: a lookup just dialled it and may use it next. */
export const DEFAULT_NEIGHBOUR_GRACE_MS = 30_000
/** How often the overlay trims or tops up neighbours (ms). */
export const DEFAULT_NEIGHBOUR_CHECK_MS = 10_000
/**
 * kad-dht: peers asked in parallel per query path. Stock is 10 with 10 disjoint paths, i.e. up to 100
 * requests (most of them new dials) per lookup: 50 lookups at once on a 2-core machine starved every
 * noise handshake past its timeout (33 of 50 providers found); 3 x 3 found 48 of 50 (docs/NOTES.md).
 */
export const DEFAULT_DHT_ALPHA = 3
/** kad-dht: disjoint query paths (S/Kademlia; stock = alpha). 3 keeps lookups robust to a bad path. */
export const DEFAULT_DHT_DISJOINT_PATHS = 3
/**
 * kad-dht: least time one request gets, dial and noise handshake included (ms). Stock is an adaptive
 * 5 s, shorter than a handshake on a loaded machine (event loop stalls of 2-8 s measured); a dead peer
 * on a reachable host fails at once (connection refused), so the longer floor costs little.
 */
export const DEFAULT_DHT_REQUEST_TIMEOUT_MS = 15_000
/**
 * A routing table smaller than this (K, kad-dht's bucket size) is thin: the peer looks itself up again
 * instead of waiting for kad-dht's 5-minute refresh. Measured: peers that joined under load
 * kept 2-4 entries for minutes (their start-up self-query had timed out), and lookups from them failed.
 */
export const DEFAULT_DHT_THIN_TABLE = 20
/** First wait between refreshes of a thin routing table (ms); doubles while it stays thin, up to 5 min. */
export const DEFAULT_DHT_THIN_REFRESH_MS = 15_000
/**
 * K of Kademlia: the closest peers a key's records live on (kad-dht's kBucketSize default, which we do
 * not change). Optimistic provide sends the record to a peer the walk meets within the distance of the
 * key's K-th closest peer, expected at K/(N+1) of the key space in a network of N.
 */
export const DEFAULT_DHT_K = 20
/** A DHT provide acknowledged by fewer peers than this (of K = 20) is walked again. */
export const DEFAULT_DHT_MIN_PROVIDE_PEERS = 10
/** Walks one DHT provide gets at most (each a full lookup plus ADD_PROVIDER to the closest peers). */
export const DEFAULT_DHT_PROVIDE_ATTEMPTS = 3
/**
 * A provided record's DHT walk is made again once our routing table has grown to at least twice its size
 * at the last walk and by at least this many peers (K): a walk through young tables (a peer that just
 * joined, an overlay that started at once) ends at the closest peers it could find then, and lookups
 * through the grown tables ask closer ones. Measured at 200 peers: 3-4 of 50 records stayed unfindable
 * through the DHT alone (docs/NOTES.md, "Routing").
 */
export const DEFAULT_ROUTING_REWALK_GROWTH = 20
/**
 * How often (ms) a node checks whether its records need a walk again (DEFAULT_ROUTING_REWALK_GROWTH). A
 * walk that no peer acknowledged (at 200 peers, the first provides' walks ran out of their 30 s under
 * the overlay's start) is tried again after twice this, doubling each time it fails again.
 */
export const DEFAULT_ROUTING_REWALK_CHECK_MS = 10_000
/** The longest wait (ms) before a record whose walks no peer acknowledged is walked again. */
export const DEFAULT_ROUTING_REWALK_RETRY_MAX_MS = 600_000
/** How often a node checks whether it became public (then serves the DHT) or stopped being so (ms). */
export const DEFAULT_DHT_MODE_CHECK_MS = 5_000
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
/**
 * Tasks a sandbox thread holds queued behind the one it runs: it starts the next the moment it answers
 * one, instead of idling until the main thread (busy with the network) posts it. One covers a main
 * thread that answers within a task's time (profiled on 2 fully used cores: the sandbox threads idle
 * 1-2.5% of a job); a deeper queue only holds tasks back from threads that could start them sooner.
 */
export const DEFAULT_COMPUTE_THREAD_QUEUE = 1
/** Tasks kept in flight per worker slot, so a slot never idles for a round trip. */
export const DEFAULT_COMPUTE_PIPELINE = 2
/**
 * Work per batch (ms on one worker slot): a coordinator sends a worker about this much work per `tasks`
 * frame (from the worker's measured task time; one task per frame until it is known, and for tasks
 * longer than this), and the worker answers a batch's results in one `results` frame. Every frame costs
 * CPU at both ends while the worker's sandbox threads want the cores: on 2 cores, 10-40 ms tasks ran at
 * 0.84-0.88 per core with 100 ms batches and 0.89-0.96 with 250 ms. Still short next to the 1 s minimum
 * lease (2 batches in flight per slot answer within ~500 ms), and a batch's results wait at most this
 * long for each other.
 */
export const DEFAULT_COMPUTE_BATCH_MS = 250
/** How long a coordinator looks for workers before failing with NoWorkersError (ms). */
export const DEFAULT_COMPUTE_WORKER_WAIT_MS = 10_000
/** How often a coordinator looks for new workers while a job runs (ms). */
export const DEFAULT_COMPUTE_DISCOVERY_MS = 5_000
/** Malformed frames tolerated on one compute stream before it is closed. */
export const DEFAULT_COMPUTE_MAX_MALFORMED = 8
/**
 * How long a job waits (ms) when its open tasks need a worker that is not there (two workers disagree
 * and no third may settle it, or K distinct workers are wanted and fewer are live) before it fails
 * with that reason: discovery keeps looking meanwhile.
 */
export const DEFAULT_COMPUTE_BLOCKED_WAIT_MS = 30_000
// ---- messaging: pub/sub (GossipSub) ----

/**
 * GossipSub's mesh degree D: the peers each subscriber forwards every message to. 4, not GossipSub's 6:
 * each copy costs a frame through the whole stream stack at both ends (~0.2 ms of CPU in Node), and the
 * copies, not the first receipt, are most of a subscriber's CPU. Measured with 24 peers, 1 KB at 10/s
 * (`node bench/messaging-cpu.ts --peers 24 --seconds 20 --degree 6`, three runs each): D/D_lo/D_hi
 * 6/4/12 with D_lazy 6 gave 6.1-6.6 copies and 1.35-1.49 ms of CPU per message per peer; 4/3/6 with
 * D_lazy 3 gave 4.5 copies and 0.97-1.08 ms, with the same delivery and a lower p99. Four mesh peers still leave
 * three disjoint ways into every peer, and the gossip (IHAVE/IWANT) recovers what a lost link missed.
 */
export const DEFAULT_PUBSUB_D = 4
/** GossipSub's D_lo: below this many mesh peers a heartbeat grafts more (GossipSub's rule: D_out < D_lo ≤ D). */
export const DEFAULT_PUBSUB_D_LO = 3
/**
 * GossipSub's D_hi: above this many mesh peers (others grafting onto us) a heartbeat prunes back to D.
 * 5, not 3·D: every mesh peer past D is one more copy of every message, and meshes sit between D and
 * D_hi. 100 subscribers (`node bench/messaging.ts --runs gossipsub`): D_hi 6 gave meshes of 3-6 and 3.95
 * copies per message per peer, D_hi 5 meshes of 3-5 and 3.52. Also the number of known topic
 * subscribers the discovery rounds look for, so the mesh has peers to choose from.
 */
export const DEFAULT_PUBSUB_D_HI = 5
/** GossipSub's D_score: mesh peers kept by score when pruning (the rest at random). */
export const DEFAULT_PUBSUB_D_SCORE = 2
/** GossipSub's D_out: outbound mesh peers kept when pruning (a sybil flood of inbound grafts cannot take the mesh). */
export const DEFAULT_PUBSUB_D_OUT = 1
/**
 * GossipSub's D_lazy: non-mesh topic peers sent IHAVE gossip (the IDs of the last 3 heartbeats' messages)
 * each heartbeat. 3, not 6: an IHAVE of 30 IDs is about the size of a 1 KB message.
 */
export const DEFAULT_PUBSUB_D_LAZY = 3
/** Largest pub/sub message payload (bytes): chat-sized; GossipSub drops larger data before decoding it. */
export const DEFAULT_PUBSUB_MAX_MESSAGE_BYTES = 16 * 1024
/**
 * Smallest message (bytes) for which a peer sends GossipSub 1.2's IDONTWANT to its mesh peers
 * (GossipSub's default: 512). An IDONTWANT is a frame to every mesh peer on every first receipt, and it
 * saves at most one copy from that peer, so it pays only where a copy's bytes cost more than a frame.
 * Measured with 1 KB messages (`bench/messaging-cpu.ts`, 10 peers): 5 IDONTWANTs sent per receipt
 * saved 5% of the copies (5.98 -> 5.71 per receipt) and were half of all frames sent.
 */
export const DEFAULT_PUBSUB_IDONTWANT_MIN_BYTES = 4 * 1024
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
/**
 * Once a peer knows enough topic peers it keeps a slow round going (ms): late joiners that only found
 * each other would otherwise stay a separate mesh; a few random links per round join the parts.
 */
export const DEFAULT_PUBSUB_MAINTENANCE_MS = 15_000
/** Random peers dialled per slow round: two random links per peer make the topic's graph connected. */
export const DEFAULT_PUBSUB_MAINTENANCE_DIAL_PEERS = 2
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

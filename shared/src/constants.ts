/**
 * Protocol identifiers and hard wire limits. Tunables live in `defaults.ts`; these values are part of
 * the protocol and change only with a version bump.
 */

/** Version of the bootstrap HTTP API (`GET /v1/bootstrap`). */
export const BOOTSTRAP_API_VERSION = 1
export const BOOTSTRAP_PATH = '/v1/bootstrap'
export const HEALTH_PATH = '/healthz'
export const METRICS_PATH = '/metrics'

/** Path prefix of relay shards other than the default one (`/relay/<shard>`). The default shard answers on `/`. */
export const RELAY_PATH_PREFIX = '/relay/'
/** Name of the default relay shard: reachable at `/` so that stock libp2p peers can use it without `/http-path`. */
export const DEFAULT_SHARD = '0'
/** Shard names are short decimal numbers: they appear in URLs, multiaddrs and metric labels. */
export const SHARD_NAME_PATTERN = /^(0|[1-9][0-9]{0,2})$/

/** Overlay protocol family; every edgeswarm protocol ID is `/edgeswarm/<name>/<semver>`. */
export const OVERLAY_PROTOCOL = '/edgeswarm/1.0.0'
/** Private-network credential proof (challenge/response HMAC) run before a relay grants a reservation. */
export const AUTH_PROTOCOL = '/edgeswarm/auth/1.0.0'

/** Stock libp2p ping (32 random bytes echoed): our per-connection path checks speak it on one given connection. */
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
/** Length of one ping payload (bytes), fixed by the ping spec. */
export const PING_PAYLOAD_BYTES = 32

/** Stock circuit-relay-v2 protocol IDs (libp2p spec), used in logs and metrics. */
export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'
export const RELAY_STOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/stop'

/** Largest HTTP request body the worker reads (bytes); larger bodies get 413 before reaching a Durable Object. */
export const MAX_HTTP_BODY_BYTES = 64 * 1024
/** Largest number of peers a bootstrap response lists. */
export const MAX_BOOTSTRAP_PEERS = 64
/** Nonce length of the auth challenge (bytes). */
export const AUTH_NONCE_BYTES = 32
/** HMAC-SHA-256 output (bytes). */
export const AUTH_PROOF_BYTES = 32

/** File sharing block exchange (have-maps + block requests, one stream per peer and download). */
export const FILES_PROTOCOL = '/edgeswarm/files/1.0.0'
/**
 * Largest block the files protocol carries (bytes): 2 MiB, twice the unixfs-v1-2025 chunk, so a DAG node
 * of 1,024 links (~46 KiB) or a leaf from an importer with larger chunks still fits; larger is refused.
 */
export const FILES_MAX_BLOCK_BYTES = 2 * 1024 * 1024
/** Largest files-protocol frame (bytes): one block plus its CID and header. */
export const FILES_MAX_FRAME_BYTES = FILES_MAX_BLOCK_BYTES + 1024
/**
 * Kademlia DHT protocol of the overlay's peers: our own ID, so the overlay never mixes with the public
 * IPFS DHT (`/ipfs/kad/1.0.0`). Same wire format as kad-dht; only the protocol string differs.
 */
export const DHT_PROTOCOL = '/edgeswarm/kad/1.0.0'
/** Delegated Routing V1 HTTP API (IPFS spec), served by the edge from its provider index. */
export const ROUTING_PROVIDERS_PATH = '/routing/v1/providers'
export const ROUTING_PEERS_PATH = '/routing/v1/peers'
/** Signed provider announcements (edgeswarm extension, POST): see docs/PROTOCOLS.md "Routing". */
export const ROUTING_ANNOUNCE_PATH = '/v1/routing/announce'
/** Domain separation prefix of a routing record's signature (never valid as another protocol's signature). */
export const ROUTING_RECORD_DOMAIN = 'edgeswarm-routing-record:v1:'
/** Largest signed announcement body (bytes): 64 CIDs x ~64 chars + 16 addrs x ~200 chars + signature, with room. */
export const MAX_ROUTING_RECORD_BYTES = 16 * 1024
/** Most CIDs one announcement carries; a peer providing more sends several. */
export const MAX_ROUTING_RECORD_CIDS = 64
/** Most addresses one announcement (and one answer's provider) carries. */
export const MAX_ROUTING_RECORD_ADDRS = 16
/** Longest CID or peer ID string accepted (characters): sha2-512 CIDv1 base32 is ~120. */
export const MAX_ROUTING_KEY_CHARS = 256
/** Longest multiaddr string accepted (characters). */
export const MAX_ROUTING_ADDR_CHARS = 400
/**
 * Distributed computing: coordinator <-> worker task protocol (also over relayed connections). 2.0.0
 * carries tasks and results in batches (`tasks` / `results` frames); 1.0.0 sent one per frame.
 */
export const COMPUTE_PROTOCOL = '/edgeswarm/compute/2.0.0'
/** The string whose CID (raw, SHA-256) workers provide through routing so coordinators can find them. */
export const COMPUTE_WORKERS_KEY = 'edgeswarm/compute/workers/v2'
/**
 * Largest compute protocol frame (bytes): a batch of inputs or results of at most 1 MiB in all, plus
 * its JSON header (at most MAX_COMPUTE_BATCH_TASKS entries of under 80 characters each).
 */
export const MAX_COMPUTE_FRAME_BYTES = 1024 * 1024 + 16 * 1024
/** Most tasks (or results) in one `tasks` (or `results`) frame. */
export const MAX_COMPUTE_BATCH_TASKS = 64
/** Largest sum of inputs (or outputs) one batch frame carries (bytes); a bigger one goes alone. */
export const MAX_COMPUTE_BATCH_BYTES = 1024 * 1024
/** Largest result one task may return (bytes); a larger one is rejected as `oversized-output`. */
export const MAX_TASK_OUTPUT_BYTES = 1024 * 1024
/** Largest task input (bytes). */
export const MAX_TASK_INPUT_BYTES = 1024 * 1024
/** Largest compute module (bytes). */
export const MAX_COMPUTE_MODULE_BYTES = 8 * 1024 * 1024
/** Direct messages between peers: one stream per message, length-prefixed JSON, a receipt back. */
export const DM_PROTOCOL = '/edgeswarm/dm/1.0.0'
/** Mailbox HTTP API on the edge (sealed direct messages for offline peers). */
export const MAILBOX_PATH_PREFIX = '/v1/mailbox/'
/** Largest sealed mailbox message (bytes of ciphertext, base64 on the wire): a DM plus sealing overhead. */
export const MAX_MAILBOX_SEALED_BYTES = 24 * 1024
/** Pub/sub topic names: short, printable, no spaces. */
export const TOPIC_NAME_PATTERN = /^[A-Za-z0-9._~/-]{1,64}$/

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

/** Direct messages between peers: one stream per message, length-prefixed JSON, a receipt back. */
export const DM_PROTOCOL = '/edgeswarm/dm/1.0.0'
/** Mailbox HTTP API on the edge (sealed direct messages for offline peers). */
export const MAILBOX_PATH_PREFIX = '/v1/mailbox/'
/** Largest sealed mailbox message (bytes of ciphertext, base64 on the wire): a DM plus sealing overhead. */
export const MAX_MAILBOX_SEALED_BYTES = 24 * 1024
/** Pub/sub topic names: short, printable, no spaces. */
export const TOPIC_NAME_PATTERN = /^[A-Za-z0-9._~/-]{1,64}$/

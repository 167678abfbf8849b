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

/** Distributed computing: coordinator <-> worker task protocol (also over relayed connections). */
export const COMPUTE_PROTOCOL = '/edgeswarm/compute/1.0.0'
/** The string whose CID (raw, SHA-256) workers provide through routing so coordinators can find them. */
export const COMPUTE_WORKERS_KEY = 'edgeswarm/compute/workers/v1'
/** Largest compute protocol frame (bytes): a task input or result plus its small JSON header. */
export const MAX_COMPUTE_FRAME_BYTES = 1024 * 1024 + 4096
/** Largest result one task may return (bytes); a larger one is rejected as `oversized-output`. */
export const MAX_TASK_OUTPUT_BYTES = 1024 * 1024
/** Largest task input (bytes). */
export const MAX_TASK_INPUT_BYTES = 1024 * 1024
/** Largest compute module (bytes). */
export const MAX_COMPUTE_MODULE_BYTES = 8 * 1024 * 1024

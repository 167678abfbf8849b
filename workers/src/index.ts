/**
 * The edgeswarm Worker: a Hono app in front of the relay shards (RelayShard Durable Objects).
 *
 * - `GET /v1/bootstrap?peers=N`: relays, a sample of reachable peers, STUN servers (routes/bootstrap.ts)
 * - `GET /healthz`: liveness without waking shards (routes/health.ts)
 * - `GET /metrics`: Prometheus text (routes/metrics.ts)
 * - `GET /routing/v1/providers/{cid}`, `GET /routing/v1/peers/{id}`, `POST /v1/routing/announce`: the
 *   super-peer index (routes/routing.ts, ProviderIndex Durable Objects)
 * - `POST /v1/mailbox/<peerId>[/fetch|/ack]`: sealed direct messages for offline peers (routes/mailbox.ts)
 * - WebSocket upgrade on `/` → shard 0, on `/relay/<n>` → shard n (routes/relay.ts)
 * - anything else GET/HEAD: the browser page from dist/browser (routes/assets.ts)
 *
 * Every request first passes the pipeline in app/middleware.ts: decision log, bodies bounded (413),
 * GET/HEAD only (405), vars parsed once. The app is assembled in app/create-app.ts. Endpoints, schema
 * and status codes: docs/PROTOCOLS.md "HTTP API".
 *
 * @example
 * ```sh
 * npm run dev   # wrangler dev on 127.0.0.1:8787
 * curl -s http://127.0.0.1:8787/v1/bootstrap?peers=8
 * ```
 */
import { createApp } from './app/create-app.ts'

export { Mailbox } from './objects/mailbox.ts'
export { ProviderIndex } from './objects/provider-index.ts'
export { RelayShard } from './objects/relay-shard.ts'
export default createApp()

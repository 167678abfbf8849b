/**
 * The edgeswarm Worker: a Hono app in front of the relay shards (RelayShard Durable Objects).
 *
 * - `GET /v1/bootstrap?peers=N`: relays, a sample of reachable peers, STUN servers (routes/bootstrap.ts)
 * - `GET /healthz`: liveness without waking shards (routes/health.ts)
 * - `GET /metrics`: Prometheus text (routes/metrics.ts)
 * - WebSocket upgrade on `/` → shard 0, on `/relay/<n>` → shard n (routes/relay.ts)
 * - anything else GET/HEAD: the browser page from dist/browser (routes/assets.ts)
 *
 * Every request first passes the pipeline in app/middleware.ts: decision log, bodies bounded (413), GET/HEAD
 * only (405), vars parsed once. Endpoints, schema and status codes: docs/PROTOCOLS.md "HTTP API".
 *
 * @example
 * ```sh
 * npm run dev   # wrangler dev on 127.0.0.1:8787
 * curl -s http://127.0.0.1:8787/v1/bootstrap?peers=8
 * ```
 */
import { Hono } from 'hono'
import { limitBody, loadSettings, logDecisions, onlyGet } from './app/middleware.ts'
import { notFound, onError } from './app/respond.ts'
import type { AppEnv } from './app/types.ts'
import { assetRoutes } from './routes/assets.ts'
import { bootstrapRoutes } from './routes/bootstrap.ts'
import { healthRoutes } from './routes/health.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { relayRoutes } from './routes/relay.ts'

const app = new Hono<AppEnv>()

app.use(logDecisions, limitBody, onlyGet, loadSettings)
app.route('/', healthRoutes)
app.route('/', bootstrapRoutes)
app.route('/', metricsRoutes)
app.route('/', relayRoutes)
app.route('/', assetRoutes)
app.notFound(notFound)
app.onError(onError)

export { RelayShard } from './objects/relay-shard.ts'
export default app

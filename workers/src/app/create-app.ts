/**
 * Assembles the worker's Hono app: the request pipeline (middleware.ts), one route group per file in
 * routes/, JSON 404 and error answers. Free of `cloudflare:*` imports, so unit tests build it with fake
 * bindings; `src/index.ts` builds the deployed one.
 */
import { Hono } from 'hono'
import { assetRoutes } from '../routes/assets.ts'
import { bootstrapRoutes } from '../routes/bootstrap.ts'
import { healthRoutes } from '../routes/health.ts'
import { mailboxRoutes } from '../routes/mailbox.ts'
import { metricsRoutes } from '../routes/metrics.ts'
import { relayRoutes } from '../routes/relay.ts'
import { routingRoutes } from '../routes/routing.ts'
import { limitBody, loadSettings, logDecisions, onlyGet } from './middleware.ts'
import { notFound, onError } from './respond.ts'
import type { AppEnv } from './types.ts'

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use(logDecisions, limitBody, onlyGet, loadSettings)
  app.route('/', healthRoutes)
  app.route('/', bootstrapRoutes)
  app.route('/', metricsRoutes)
  app.route('/', routingRoutes)
  app.route('/', relayRoutes)
  app.route('/', mailboxRoutes)
  // last: every other GET/HEAD is a static file or a JSON 404
  app.route('/', assetRoutes)
  app.notFound(notFound)
  app.onError(onError)
  return app
}

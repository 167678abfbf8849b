/**
 * `GET /v1/bootstrap?peers=N`: the document a joining peer needs (schema: shared/src/protocol/bootstrap.ts),
 * built from the stats of every shard asked in parallel. A shard that fails is left out (and logged);
 * when none answers, 503. In private mode the bearer token is required.
 */
import { Hono } from 'hono'
import { BOOTSTRAP_PATH } from '#shared/constants.ts'
import { parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { describeError, logEvent } from '../app/log.ts'
import { requireNetworkKey } from '../app/middleware.ts'
import { jsonError } from '../app/respond.ts'
import { allShardStats, publicUrlOf } from '../app/shards.ts'
import type { AppEnv } from '../app/types.ts'
import { buildBootstrapDocument, parsePeersParam } from './bootstrap-document.ts'

export const bootstrapRoutes = new Hono<AppEnv>()

bootstrapRoutes.get(BOOTSTRAP_PATH, requireNetworkKey, async (c) => {
  const settings = c.get('settings')
  const peers = parsePeersParam(c.req.query('peers'))
  const results = await allShardStats(c.env.RELAY_SHARD, settings, {
    peers,
    publicUrl: publicUrlOf(settings, c.req.raw),
    route: 'bootstrap',
  })
  const stats = results.flatMap((r) => ('stats' in r ? [r.stats] : []))
  if (stats.length === 0)
    return jsonError(c, 503, 'shards_unavailable', 'no relay shard answered; retry later')
  const built = buildBootstrapDocument({
    network: settings.network,
    private: settings.networkKey !== undefined,
    stun: settings.stun,
    stats,
    peers,
  })
  let doc: ReturnType<typeof parseBootstrapDocument>
  try {
    doc = parseBootstrapDocument(built)
  } catch (err) {
    // Our own document failed its schema: a bug or a misbehaving shard, not the client's fault.
    logEvent('error', 'edgeswarm:worker:bootstrap', 'bootstrap.invalid', describeError(err))
    return jsonError(c, 500, 'internal_error', 'internal error')
  }
  return c.json(doc, 200, { 'Cache-Control': 'no-store' })
})

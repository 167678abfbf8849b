/** `GET /metrics`: Prometheus text exposition of every shard's stats (see prometheus.ts for the names). */
import { Hono } from 'hono'
import { METRICS_PATH } from '#shared/constants.ts'
import { requireNetworkKey } from '../app/middleware.ts'
import { allShardStats, publicUrlOf } from '../app/shards.ts'
import type { AppEnv } from '../app/types.ts'
import { allIndexShards, indexStub } from '../routing/index-shards.ts'
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from './prometheus.ts'
import { renderRoutingMetrics } from './routing-metrics.ts'

export const metricsRoutes = new Hono<AppEnv>()

metricsRoutes.get(METRICS_PATH, requireNetworkKey, async (c) => {
  const settings = c.get('settings')
  const results = await allShardStats(c.env.RELAY_SHARD, settings, {
    peers: 0,
    publicUrl: publicUrlOf(settings, c.req.raw),
    route: 'metrics',
  })
  const index = await Promise.all(
    allIndexShards().map(async (i) => {
      try {
        return { index: i, stats: await indexStub(c.env.PROVIDER_INDEX, i).stats() }
      } catch {
        return { index: i }
      }
    }),
  )
  const body =
    renderMetrics(results.map((r) => ('stats' in r ? r : { shard: r.shard }))) + renderRoutingMetrics(index)
  return c.body(body, 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' })
})

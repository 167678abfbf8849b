/** `GET /healthz`: liveness and the parsed config, without waking any shard. */
import { Hono } from 'hono'
import { HEALTH_PATH } from '#shared/constants.ts'
import type { AppEnv } from '../app/types.ts'

export const healthRoutes = new Hono<AppEnv>()

healthRoutes.get(HEALTH_PATH, (c) => {
  const { network, shards } = c.get('settings')
  return c.json({ ok: true, network, shards }, 200, { 'Cache-Control': 'no-store' })
})

/**
 * Every other GET/HEAD: the browser peer's static files (dist/browser, the ASSETS binding; wrangler.toml
 * sets `run_worker_first` so that the worker sees every request first). A missing file is our JSON 404.
 */
import { Hono } from 'hono'
import { notFound } from '../app/respond.ts'
import type { AppEnv } from '../app/types.ts'

export const assetRoutes = new Hono<AppEnv>()

assetRoutes.get('*', async (c) => {
  // A fresh request: the original's body (if any) was consumed by the body limit.
  const res = await c.env.ASSETS.fetch(
    new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers }),
  )
  if (res.status === 404) {
    await res.body?.cancel()
    return notFound(c)
  }
  return res
})

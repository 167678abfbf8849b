import { describe, expect, it } from 'vitest'
import { createApp } from './create-app.ts'

const KEY = 's3cret-Key_0.9~+/='

function env() {
  const ns = {
    idFromName: (name: string) => name,
    get: () => ({ fetch: async () => new Response('{}', { status: 503 }) }),
  }
  return {
    RELAY_SHARD: ns,
    ASSETS: { fetch: async () => new Response('') },
    NETWORK_KEY: KEY,
    RELAY_SHARDS: '1',
  }
}

describe('private-mode bearer check (hono/bearer-auth)', () => {
  const app = createApp()
  const get = (authorization?: string) =>
    app.request('/metrics', authorization === undefined ? {} : { headers: { authorization } }, env())

  it('refuses a missing, malformed or wrong token with our 401 JSON and challenge', async () => {
    for (const auth of [
      undefined,
      `Bearer ${KEY}x`,
      `Bearer ${KEY.slice(0, -1)}`,
      `Basic ${KEY}`,
      KEY,
      'Bearer a b',
    ]) {
      const res = await get(auth)
      expect(res.status, String(auth)).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="edgeswarm"')
      const text = await res.text()
      expect(JSON.parse(text)).toMatchObject({ error: 'unauthorized' })
      expect(text).not.toContain(KEY)
    }
  })

  it('lets the right token through (case-insensitive scheme)', async () => {
    for (const auth of [`Bearer ${KEY}`, `bearer ${KEY}`]) expect((await get(auth)).status).not.toBe(401)
  })
})

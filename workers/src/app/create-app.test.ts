import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ShardStats } from '../objects/shard-contract.ts'
import { createApp } from './create-app.ts'

const IDS = [
  '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
  '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F83ZeyYgNcA8Dp',
]

function stats(shard: string): ShardStats {
  const peerId = IDS[Number(shard)]!
  return {
    shard,
    peerId,
    addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${peerId}`],
    connections: 0,
    reservations: 0,
    circuits: 0,
    circuitsTotal: 0,
    bytesRelayed: 0,
    refusals: {},
    peers: [],
    superPeers: [],
    uptimeSeconds: 1,
  }
}

/** Fake bindings: `down` lists the shards whose Durable Object throws. */
function env(vars: Record<string, string> = {}, down: string[] = []) {
  return {
    RELAY_SHARDS: '2',
    ...vars,
    RELAY_SHARD: {
      idFromName: (name: string) => ({ name }),
      get: (id: { name: string }) => ({
        fetch: async () => {
          const shard = id.name.replace('shard-', '')
          if (down.includes(shard)) throw new Error(`internal detail of ${id.name} at relay-shard.ts:12:3`)
          return Response.json(stats(shard))
        },
      }),
    },
    ASSETS: {
      fetch: async (request: Request) =>
        new URL(request.url).pathname === '/'
          ? new Response('<!doctype html>')
          : new Response('', { status: 404 }),
    },
  }
}

async function call(path: string, e = env(), init?: RequestInit) {
  const res = await createApp().fetch(new Request(`http://127.0.0.1:8787${path}`, init), e)
  const text = await res.text()
  expect(text).not.toMatch(/\.ts:[0-9]+|internal detail|\n\s+at /)
  return { res, text, json: () => JSON.parse(text) }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('worker app (fake bindings)', () => {
  it('leaves a failing shard out of the bootstrap document and logs it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const { res, json } = await call('/v1/bootstrap', env({}, ['1']))
    expect(res.status).toBe(200)
    expect(json().relays.map((r: { shard: string }) => r.shard)).toEqual(['0'])
    expect(warn.mock.calls.map((c) => JSON.parse(String(c[0])).event)).toContain('shard.unavailable')
  })

  it('answers 503 JSON when no shard answers', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const { res, json } = await call('/v1/bootstrap', env({}, ['0', '1']))
    expect(res.status).toBe(503)
    expect(json()).toMatchObject({ error: 'shards_unavailable' })
  })

  it('reports a dead shard as up 0 in /metrics', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const { res, text } = await call('/metrics', env({}, ['1']))
    expect(res.status).toBe(200)
    expect(text).toContain('edgeswarm_relay_up{shard="0"} 1\n')
    expect(text).toContain('edgeswarm_relay_up{shard="1"} 0\n')
  })

  it('answers a bad var with 500 config_error and logs the var by name', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const { res, json } = await call('/v1/bootstrap', env({ MAX_CIRCUITS: 'lots' }))
    expect(res.status).toBe(500)
    expect(json()).toEqual({
      error: 'config_error',
      message: 'the edge is misconfigured; its operator finds the reason in the logs',
    })
    const line = JSON.parse(String(error.mock.calls[0]![0]))
    expect(line).toMatchObject({ event: 'request.failed', code: 'config_error', errorName: 'ConfigError' })
    expect(line.errorMessage).toContain('MAX_CIRCUITS')
  })

  it('serves assets, and a missing file as JSON 404', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    expect((await call('/')).text).toBe('<!doctype html>')
    const missing = await call('/missing.js')
    expect(missing.res.status).toBe(404)
    expect(missing.json()).toMatchObject({ error: 'not_found' })
  })

  it('refuses chunked bodies unread and wrong methods', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const body = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024)) })
    const big = await call('/v1/bootstrap', env(), { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(big.res.status).toBe(413)
    const put = await call('/healthz', env(), {
      method: 'PUT',
      body: 'x',
      headers: { 'content-length': '1' },
    })
    expect(put.res.status).toBe(405)
    expect(put.res.headers.get('allow')).toBe('GET, HEAD')
  })
})

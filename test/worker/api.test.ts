/**
 * The HTTP API against the real worker and relay shards on workerd (`wrangler dev`): bootstrap document,
 * health, WebSocket routing, error answers, private mode. Run: `vitest run --project worker test/worker/api.test.ts`.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type BootstrapDocument, parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { createPeer, type TestPeer, waitForReservation } from '../helpers/peers.ts'
import { waitFor } from '../helpers/wait.ts'
import { expectJsonError, expectNoInternals, sendChunked } from './http.ts'

const STUN = 'stun:stun.example.com:3478'

async function bootstrap(
  edge: Edge,
  query = '',
  headers: Record<string, string> = {},
): Promise<BootstrapDocument> {
  const res = await fetch(`${edge.url}/v1/bootstrap${query}`, { headers })
  const text = await res.text()
  expect(res.status, text).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return parseBootstrapDocument(JSON.parse(text))
}

/** Opens a WebSocket to `path`; resolves to 'open' or the HTTP status of a refused upgrade. */
function upgrade(edge: Edge, path: string): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${edge.url.replace('http', 'ws')}${path}`, { perMessageDeflate: false })
    ws.once('open', () => {
      ws.close()
      resolve('open')
    })
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    ws.once('error', reject)
  })
}

describe('worker HTTP API (open network)', () => {
  let edge: Edge

  beforeAll(async () => {
    edge = await startEdge({ vars: { RELAY_SHARDS: '2', STUN_SERVERS: STUN, NETWORK_NAME: 'api-test' } })
  })
  afterAll(async () => {
    await edge?.stop()
  })

  it('GET /healthz answers without waking shards', async () => {
    const res = await fetch(`${edge.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, network: 'api-test', shards: 2 })
  })

  it('GET /v1/bootstrap lists every shard with dialable addresses', async () => {
    const doc = await bootstrap(edge)
    expect(doc.version).toBe(1)
    expect(doc.network).toBe('api-test')
    expect(doc.protocol).toBe('/edgeswarm/1.0.0')
    expect(doc.private).toBe(false)
    expect(doc.stun).toEqual([STUN])
    expect(doc.relays.map((r) => r.shard)).toEqual(['0', '1'])
    expect(new Set(doc.relays.map((r) => r.peerId)).size).toBe(2)
    for (const relay of doc.relays) {
      expect(relay.addrs.length).toBeGreaterThan(0)
      for (const addr of relay.addrs) expect(addr.endsWith(`/p2p/${relay.peerId}`)).toBe(true)
    }
    // Shard 0 is reachable by stock libp2p peers: no /http-path.
    for (const addr of doc.relays[0]!.addrs) expect(addr).not.toContain('/http-path')
    expect(doc.relays[0]!.addrs).toContain(`/ip4/127.0.0.1/tcp/${edge.port}/ws/p2p/${doc.relays[0]!.peerId}`)
    expect(Date.now() - Date.parse(doc.generatedAt)).toBeLessThan(60_000)
  })

  it('shard peer IDs are stable across requests', async () => {
    const [a, b] = [await bootstrap(edge), await bootstrap(edge, '?peers=0')]
    expect(b.relays.map((r) => r.peerId)).toEqual(a.relays.map((r) => r.peerId))
    expect(b.peers).toEqual([])
  })

  it('samples peers holding reservations, with their circuit addresses, up to ?peers=N', async () => {
    const doc = await bootstrap(edge)
    const peers: TestPeer[] = []
    try {
      // One peer per shard (the merge of one peer across shards is covered by the unit tests).
      for (const r of doc.relays) {
        const peer = await createPeer({ relays: [r.addrs[0]!] })
        peers.push(peer)
        await waitForReservation(peer, r.peerId)
      }
      const listed = await waitFor(
        'both peers listed in /v1/bootstrap',
        async () => {
          const sample = (await bootstrap(edge, '?peers=64')).peers
          return sample.length === 2 ? sample : undefined
        },
        20_000,
        250,
      )
      doc.relays.forEach((r, i) => {
        const id = peers[i]!.peerId.toString()
        const entry = listed.find((p) => p.peerId === id)
        expect(entry?.addrs).toEqual([`${r.addrs[0]}/p2p-circuit/p2p/${id}`])
      })
      expect((await bootstrap(edge, '?peers=1')).peers).toHaveLength(1)
      expect((await bootstrap(edge, '?peers=0')).peers).toEqual([])
    } finally {
      await Promise.all(peers.map((p) => p.stop()))
    }
  })

  it.each(['abc', '999', '-1', '65', '1.5', ''])('GET /v1/bootstrap?peers=%s → 400', async (peers) => {
    const body = await expectJsonError(
      await fetch(`${edge.url}/v1/bootstrap?peers=${peers}`),
      400,
      'invalid_input',
    )
    expect(body.message).toMatch(/^peers must be an integer in \[0, 64\]/)
  })

  it('unknown path → 404 JSON', async () => {
    await expectJsonError(await fetch(`${edge.url}/no/such/thing`), 404, 'not_found')
    await expectJsonError(await fetch(`${edge.url}/v2/bootstrap`), 404, 'not_found')
  })

  it('serves the browser page on GET / and HEAD /', async () => {
    const res = await fetch(`${edge.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    await res.body?.cancel()
    const head = await fetch(`${edge.url}/healthz`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('wrong method → 405 JSON with Allow', async () => {
    for (const path of ['/v1/bootstrap', '/healthz', '/metrics', '/relay/1', '/', '/nope']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
        const res = await fetch(`${edge.url}${path}`, { method })
        expect(res.headers.get('allow')).toBe('GET, HEAD')
        await expectJsonError(res, 405, 'method_not_allowed')
      }
    }
  })

  it('bodies over 64 KiB → 413 JSON before anything else, never a 500', async () => {
    for (const path of ['/v1/bootstrap', '/', '/relay/1', '/nope']) {
      const chunked = await sendChunked(edge.url, 'POST', path, 2 * 1024 * 1024)
      expectNoInternals(chunked.body)
      expect(chunked.status, chunked.body).toBe(413)
      expect(JSON.parse(chunked.body)).toMatchObject({ error: 'payload_too_large' })
      const sized = await fetch(`${edge.url}${path}`, {
        method: 'PUT',
        body: new Uint8Array(2 * 1024 * 1024),
      })
      await expectJsonError(sized, 413, 'payload_too_large')
    }
    // A small body of declared length on a wrong method is a 405.
    await expectJsonError(await fetch(`${edge.url}/v1/bootstrap`, { method: 'POST', body: '{}' }), 405)
    // Repeated: reading a chunked body and dropping the rest made wrangler dev answer 500 now and then.
    for (let i = 0; i < 10; i++) {
      const again = await sendChunked(edge.url, 'POST', '/v1/bootstrap', 2 * 1024 * 1024)
      expectNoInternals(again.body)
      expect(again.status).toBe(413)
    }
    // The dev server ignores the body of a GET, answers and may close the socket mid-upload (EPIPE):
    // whatever arrives carries no internals and is not a 500.
    for (const path of ['/', '/relay/1', '/v1/bootstrap']) {
      const get = await sendChunked(edge.url, 'GET', path, 2 * 1024 * 1024).catch((err: Error) => err)
      if (get instanceof Error) {
        expect(get.message).toMatch(/EPIPE|ECONNRESET|socket hang up/)
        continue
      }
      expectNoInternals(get.body)
      expect(get.status).toBeLessThan(500)
    }
    // The worker is still healthy afterwards.
    expect((await fetch(`${edge.url}/healthz`)).status).toBe(200)
  })

  it('WebSocket routing: / → shard 0, /relay/1 → shard 1, unknown shards 404, plain GET 426', async () => {
    expect(await upgrade(edge, '/')).toBe('open')
    expect(await upgrade(edge, '/relay/1')).toBe('open')
    for (const path of ['/relay/2', '/relay/99', '/relay/01', '/relay/abc', '/relay/1000']) {
      expect(await upgrade(edge, path)).toBe(404)
      await expectJsonError(await fetch(`${edge.url}${path}`), 404)
    }
    await expectJsonError(await fetch(`${edge.url}/relay/1`), 426, 'upgrade_required')
    await expectJsonError(await fetch(`${edge.url}/relay/0`), 426, 'upgrade_required')
  })
})

describe('worker HTTP API (private network)', () => {
  const KEY = 'test-network-key-0123456789'
  let edge: Edge

  beforeAll(async () => {
    edge = await startEdge({ vars: { RELAY_SHARDS: '1', NETWORK_KEY: KEY } })
  })
  afterAll(async () => {
    await edge?.stop()
  })

  it('requires the bearer token on /v1/bootstrap and /metrics', async () => {
    for (const path of ['/v1/bootstrap', '/metrics']) {
      const none = await fetch(`${edge.url}${path}`)
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /)
      const body = await expectJsonError(none, 401, 'unauthorized')
      expect(body.message).not.toContain(KEY)
      for (const auth of [`Bearer ${KEY}x`, `Bearer ${KEY.slice(0, -1)}`, `Basic ${KEY}`, KEY]) {
        await expectJsonError(await fetch(`${edge.url}${path}`, { headers: { authorization: auth } }), 401)
      }
    }
  })

  it('answers with the right bearer token and marks the document private', async () => {
    const doc = await bootstrap(edge, '', { authorization: `Bearer ${KEY}` })
    expect(doc.private).toBe(true)
    expect(doc.relays).toHaveLength(1)
    const metrics = await fetch(`${edge.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('edgeswarm_relay_up{shard="0"} 1')
  })

  it('keeps /healthz open', async () => {
    expect(await (await fetch(`${edge.url}/healthz`)).json()).toEqual({
      ok: true,
      network: 'edgeswarm',
      shards: 1,
    })
  })
})

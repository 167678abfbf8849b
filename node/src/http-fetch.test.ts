import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchBootstrap } from '#shared/peer/bootstrap-client.ts'
import { httpFetch, MAX_ANSWER_BYTES } from './http-fetch.ts'

let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if (req.url === '/echo') {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }))
      } else if (req.url === '/moved') {
        res.writeHead(307, { location: '/echo' }).end()
      } else if (req.url === '/see-other') {
        res.writeHead(303, { location: '/echo' }).end()
      } else if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' }).end()
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2_000).unref()
      } else if (req.url === '/huge') {
        const chunk = Buffer.alloc(1024 * 1024, 'x')
        let sent = 0
        const more = () => {
          while (sent <= MAX_ANSWER_BYTES && res.write(chunk)) sent += chunk.length
          if (sent > MAX_ANSWER_BYTES) res.end()
          else res.once('drain', more)
        }
        more()
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '100' })
        res.write('only part')
        setTimeout(() => res.socket?.destroy(), 20)
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})

afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('httpFetch (the home node HTTP client on node:http)', () => {
  it('sends the method, headers and body, and reads the answer', async () => {
    const res = await httpFetch(`${base}/echo`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"a":"é"}',
    })
    expect(res.status).toBe(200)
    expect(res.ok).toBe(true)
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":"é"}', auth: 'Bearer k' })
  })

  it('answers a 404 as not ok, with its body', async () => {
    const res = await httpFetch(new URL('/nothing', base))
    expect([res.status, res.ok, await res.text()]).toEqual([404, false, 'no such thing'])
    expect(res.headers.get('x-absent')).toBeNull()
  })

  it('follows redirects (307 keeps the POST, 303 turns it into a GET) and stops a loop', async () => {
    const kept = await httpFetch(`${base}/moved`, { method: 'POST', body: 'x' })
    expect(await kept.json()).toMatchObject({ method: 'POST', body: 'x' })
    const other = await httpFetch(`${base}/see-other`, { method: 'POST', body: 'x' })
    expect(await other.json()).toMatchObject({ method: 'GET', body: '' })
    await expect(httpFetch(`${base}/loop`)).rejects.toMatchObject({
      name: 'TypeError',
      cause: { message: 'too many redirects' },
    })
  })

  it('rejects like fetch: TypeError with the network error as cause, the signal reason on timeout', async () => {
    const closed = createTcpServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await expect(httpFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      name: 'TypeError',
      cause: { code: 'ECONNREFUSED' },
    })
    await expect(httpFetch(`${base}/slow`, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'TimeoutError',
    })
    await expect(httpFetch('ftp://127.0.0.1/')).rejects.toMatchObject({ name: 'TypeError' })
  })

  it('refuses an answer over MAX_ANSWER_BYTES and one cut short', async () => {
    const huge = await httpFetch(`${base}/huge`)
    await expect(huge.text()).rejects.toMatchObject({ cause: { message: /answer over/ } })
    const cut = await httpFetch(`${base}/cut`)
    await expect(cut.text()).rejects.toMatchObject({ name: 'TypeError' })
  })

  it('is what fetchBootstrap reports through: unreachable and non-JSON answers', async () => {
    await expect(fetchBootstrap(`${base}/nothing`, { fetch: httpFetch })).rejects.toThrow(/answered HTTP 404/)
    await expect(fetchBootstrap(`${base}/slow`, { fetch: httpFetch, timeoutMs: 100 })).rejects.toThrow(
      /unreachable: timed out/,
    )
  })
})

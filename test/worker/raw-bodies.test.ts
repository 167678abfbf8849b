/**
 * Bad request bodies over raw TCP (node:net) against the real worker under `wrangler dev`: a body
 * shorter than its Content-Length, on every method and route kind. Each gets a 4xx JSON answer with no
 * stack frames or file paths; the dev server's proxy holds the worker's answer until the forwarded body
 * ends, so the worker cancels such a body unread (workers/src/app/body-limit.ts). Malformed or
 * truncated chunked bodies fail inside wrangler dev's own proxy, outside our code (docs/NOTES.md,
 * "Bodies under wrangler dev").
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { expectNoInternals } from './http.ts'

interface RawResult {
  status: number
  contentType: string
  body: string
}

/** Writes `parts` (the later ones 300 ms apart), half-closes after `endAfterMs`, returns the first answer. */
function rawRequest(port: number, parts: string[], endAfterMs = 1_000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    const timers: NodeJS.Timeout[] = []
    const finish = () => {
      for (const t of timers) clearTimeout(t)
      socket.destroy()
      const [head = '', ...rest] = data.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 ([0-9]{3})/.exec(head)?.[1] ?? 0)
      if (status === 0) return reject(new Error(`no HTTP answer, got ${JSON.stringify(data.slice(0, 200))}`))
      const contentType = /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? ''
      resolve({ status, contentType, body: rest.join('\r\n\r\n') })
    }
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      data += d
      // one answer is all we wait for: a JSON body ends with its closing brace
      if (/\r\n\r\n[\s\S]*\}\s*$/.test(data) || /\r\n\r\n[\s\S]+$/.test(data))
        timers.push(setTimeout(finish, 50))
    })
    socket.on('error', () => finish())
    socket.on('close', finish)
    for (const [i, part] of parts.entries()) timers.push(setTimeout(() => socket.write(part), i * 300))
    timers.push(setTimeout(() => socket.end(), endAfterMs))
    timers.push(setTimeout(finish, 15_000))
  })
}

const HOST = 'Host: 127.0.0.1\r\n'

function expectJson4xx(res: RawResult): void {
  expectNoInternals(res.body)
  expect(res.body).not.toMatch(/file:\/\/|node_modules|\/work\//)
  expect(res.status, res.body).toBeGreaterThanOrEqual(400)
  expect(res.status, res.body).toBeLessThan(500)
  expect(res.contentType).toMatch(/^application\/json/)
  expect(JSON.parse(res.body)).toMatchObject({ error: expect.any(String), message: expect.any(String) })
}

describe('raw bad bodies → 4xx JSON, never the dev server 500 page', () => {
  let edge: Edge

  beforeAll(async () => {
    edge = await startEdge()
  })
  afterAll(async () => {
    await edge?.stop()
  })

  for (const method of ['GET', 'HEAD', 'POST', 'PUT']) {
    for (const path of ['/v1/bootstrap', '/healthz', '/relay/1', '/nope']) {
      it(`${method} ${path}: a body shorter than its Content-Length`, async () => {
        const res = await rawRequest(edge.port, [
          `${method} ${path} HTTP/1.1\r\n${HOST}Content-Length: 100\r\n\r\nabc`,
        ])
        if (method === 'HEAD') {
          expect(res.status).toBe(400)
          return
        }
        expectJson4xx(res)
        expect(res.status).toBe(method === 'GET' ? 400 : 405)
      })
    }
  }

  it('the worker is healthy afterwards', async () => {
    expect((await fetch(`${edge.url}/healthz`)).status).toBe(200)
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, InvalidInputError, TimeoutError } from '#shared/errors.ts'
import { type ControlServer, startControlServer } from './server.ts'

const TOKEN = 'ab'.repeat(32)

describe('control API (Hono on @hono/node-server)', () => {
  let server: ControlServer
  const errors: Error[] = []
  let left: AbortSignal | undefined

  beforeAll(async () => {
    server = await startControlServer(
      0,
      TOKEN,
      {
        'GET /v1/echo': async (body) => ({ got: body }),
        'POST /v1/echo': async (body) => ({ got: body }),
        'POST /v1/bad': async () => {
          throw new InvalidInputError('bytes must be > 0, got -1')
        },
        'POST /v1/config': async () => {
          throw new ConfigError('listen must be a multiaddr')
        },
        'POST /v1/slow': async () => {
          throw new TimeoutError('peer did not answer within 5 ms')
        },
        'POST /v1/crash': async () => {
          throw new Error('boom\n    at internal (file.ts:1:1)')
        },
        'POST /v1/stream': async (_body, signal) => {
          left = signal
          return (async function* () {
            yield { n: 1 }
            yield { n: 2 }
            throw new InvalidInputError('stream ended badly')
          })()
        },
      },
      (err) => errors.push(err),
    )
  })
  afterAll(() => server?.close())

  const call = (method: string, path: string, body?: string, token = TOKEN) =>
    fetch(`http://127.0.0.1:${server.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body }),
    })

  it('answers JSON routes, with and without a body', async () => {
    expect(await (await call('GET', '/v1/echo')).json()).toEqual({ got: {} })
    expect(await (await call('POST', '/v1/echo', '{"a":1}')).json()).toEqual({ got: { a: 1 } })
  })

  it('refuses a wrong or missing token with 401 before reading anything', async () => {
    const wrong = await call('GET', '/v1/echo', undefined, `${TOKEN.slice(1)}c`)
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({
      error: { name: 'ControlError', message: 'bad or missing control token' },
    })
    const none = await fetch(`http://127.0.0.1:${server.port}/v1/echo`)
    expect(none.status).toBe(401)
  })

  it('maps errors by the shared map: 400, 404, 500 (ConfigError), 504; one line, no stack', async () => {
    expect((await call('POST', '/v1/bad')).status).toBe(400)
    expect((await call('POST', '/v1/nope')).status).toBe(404)
    expect((await call('POST', '/v1/echo', '[1]')).status).toBe(400)
    expect((await call('POST', '/v1/echo', 'x'.repeat(17 * 1024))).status).toBe(400)
    expect((await call('POST', '/v1/config')).status).toBe(500)
    expect((await call('POST', '/v1/slow')).status).toBe(504)
    const crash = await call('POST', '/v1/crash')
    expect(crash.status).toBe(500)
    expect(await crash.json()).toEqual({ error: { name: 'Error', message: 'boom' } })
    expect(errors.map((e) => e.name)).toEqual(['ConfigError', 'Error'])
  })

  it('streams an AsyncIterable as NDJSON, its failure as the last line', async () => {
    const res = await call('POST', '/v1/stream')
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      { n: 1 },
      { n: 2 },
      { error: { name: 'InvalidInputError', message: 'stream ended badly' } },
    ])
    expect(left).toBeInstanceOf(AbortSignal)
  })

  it('listens on 127.0.0.1 only', async () => {
    await expect(fetch(`http://[::1]:${server.port}/v1/echo`)).rejects.toThrow()
  })
})

/**
 * The daemon's local control API: a Hono app on `@hono/node-server`, HTTP/1.1 JSON on 127.0.0.1
 * only, every request carrying `Authorization: Bearer <token>` from `<data-dir>/control.json`
 * (`hono/bearer-auth`, timing-safe). One route per CLI command, e.g. `GET /v1/status`,
 * `POST /v1/send`; services add theirs through service-routes.ts. Errors answer
 * `{ error: { name, message } }` (our own one-line messages; never a stack) with the status of
 * shared/src/http-status.ts, the map the edge uses too.
 *
 * @example
 * ```ts
 * const server = await startControlServer(0, token, { 'GET /v1/status': async () => ({ ok: true }) }, log)
 * ```
 */
import { type ServerType, serve } from '@hono/node-server'
import { type Context, Hono } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { ControlError, InvalidInputError, toError } from '#shared/errors.ts'
import { httpStatusOf } from '#shared/http-status.ts'

/**
 * A route: JSON body in, JSON out. A handler that returns an `AsyncIterable` streams it as NDJSON
 * (`application/x-ndjson`, one JSON value per line) until it ends or the client goes away (its
 * AbortSignal then fires): progress of long work, messages of a subscription.
 */
export type ControlHandler = (body: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>

const isStream = (v: unknown): v is AsyncIterable<unknown> =>
  typeof v === 'object' && v !== null && Symbol.asyncIterator in v

/** Largest control request body (bytes): requests are tiny JSON objects. */
const MAX_BODY_BYTES = 16 * 1024

/** `{ error: { name, message } }` with the first line of our message. */
function errorBody(err: Error): { error: { name: string; message: string } } {
  return { error: { name: err.name, message: err.message.split('\n')[0] ?? '' } }
}

function fail(c: Context, status: number, err: Error): Response {
  return c.json(errorBody(err), status as 400)
}

async function readBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text()
  if (text === '') return {}
  try {
    const v = JSON.parse(text)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object')
    return v as Record<string, unknown>
  } catch {
    throw new InvalidInputError('request body must be a JSON object')
  }
}

/** Streams `items` as NDJSON; a failure after the headers becomes the stream's last line. */
function ndjson(items: AsyncIterable<unknown>, signal: AbortSignal, onError: (err: Error) => void): Response {
  const encoder = new TextEncoder()
  const line = (v: unknown) => encoder.encode(`${JSON.stringify(v)}\n`)
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for await (const item of items) {
          if (signal.aborted) break
          controller.enqueue(line(item))
        }
      } catch (raw) {
        const err = toError(raw)
        if (httpStatusOf(err) === 500) onError(err)
        controller.enqueue(line(errorBody(err)))
      }
      controller.close()
    },
  })
  return new Response(body, { headers: { 'content-type': 'application/x-ndjson' } })
}

/** The control app: bearer check, body bound, the route map, errors by shared/src/http-status.ts. */
export function controlApp(
  token: string,
  routes: Record<string, ControlHandler>,
  onError: (err: Error) => void,
): Hono {
  const app = new Hono()
  const refuse = {
    message: (c: Context) => fail(c, 401, new ControlError('bad or missing control token')),
  }
  app.use(
    bearerAuth({
      token,
      noAuthenticationHeader: refuse,
      invalidAuthenticationHeader: refuse,
      invalidToken: refuse,
    }),
  )
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => fail(c, 400, new InvalidInputError(`request body exceeds ${MAX_BODY_BYTES} bytes`)),
    }),
  )
  app.all('*', async (c) => {
    const handler = Object.hasOwn(routes, `${c.req.method} ${c.req.path}`)
      ? routes[`${c.req.method} ${c.req.path}`]
      : undefined
    if (handler === undefined) {
      return fail(c, 404, new ControlError(`unknown control route ${c.req.method} ${c.req.path}`))
    }
    const signal = c.req.raw.signal
    const out = await handler(await readBody(c), signal)
    return isStream(out) ? ndjson(out, signal, onError) : c.json(out ?? null)
  })
  app.onError((raw, c) => {
    if (raw instanceof HTTPException) return raw.getResponse()
    const err = toError(raw)
    const status = httpStatusOf(err)
    if (status === 500) onError(err)
    return fail(c, status, err)
  })
  return app
}

export interface ControlServer {
  port: number
  close: () => Promise<void>
}

export async function startControlServer(
  port: number,
  token: string,
  routes: Record<string, ControlHandler>,
  onError: (err: Error) => void,
): Promise<ControlServer> {
  const app = controlApp(token, routes, onError)
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => resolve(s))
    s.once('error', reject)
  })
  if ('requestTimeout' in server) server.requestTimeout = 0
  const addr = server.address()
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

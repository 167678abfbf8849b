/**
 * The daemon's local control API: HTTP/1.1 JSON on 127.0.0.1 only, every request carrying
 * `Authorization: Bearer <token>` from `<data-dir>/control.json`. One route per CLI command:
 * `GET /v1/status`, `POST /v1/dial`, `POST /v1/ping`, `POST /v1/send`, `GET /v1/transfers`.
 * Errors answer `{ error: { name, message } }` (our own one-line messages; never a stack).
 */
import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { InvalidInputError, toError } from '../../../shared/src/errors.ts'

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

const STATUS_BY_NAME: Record<string, number> = {
  InvalidInputError: 400,
  InvalidMultiaddrError: 400,
  ConfigError: 400,
  ControlError: 400,
  TimeoutError: 504,
  InvalidMessageError: 400,
  MailboxFullError: 507,
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > MAX_BODY_BYTES) throw new InvalidInputError(`request body exceeds ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object')
    return v as Record<string, unknown>
  } catch {
    throw new InvalidInputError('request body must be a JSON object')
  }
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
  const expected = Buffer.from(`Bearer ${token}`)
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(`${JSON.stringify(body)}\n`)
    }
    const given = Buffer.from(req.headers.authorization ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      send(401, { error: { name: 'ControlError', message: 'bad or missing control token' } })
      return
    }
    const handler = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`]
    if (handler === undefined) {
      send(404, {
        error: { name: 'ControlError', message: `unknown control route ${req.method} ${req.url}` },
      })
      return
    }
    const gone = new AbortController()
    res.once('close', () => gone.abort())
    try {
      const out = await handler(await readBody(req), gone.signal)
      if (!isStream(out)) return send(200, out)
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      try {
        for await (const item of out) {
          if (gone.signal.aborted) break
          res.write(`${JSON.stringify(item)}\n`)
        }
      } catch (raw) {
        // headers are out: the failure becomes the stream's last line
        const err = toError(raw)
        if ((STATUS_BY_NAME[err.name] ?? 500) === 500) onError(err)
        res.write(`${JSON.stringify({ error: { name: err.name, message: err.message.split('\n')[0] } })}\n`)
      }
      res.end()
    } catch (raw) {
      const err = toError(raw)
      const status = STATUS_BY_NAME[err.name] ?? 500
      if (status === 500) onError(err)
      send(status, { error: { name: err.name, message: err.message.split('\n')[0] } })
    }
  })
  server.requestTimeout = 0
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const addr = server.address()
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

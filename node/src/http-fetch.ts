/**
 * The home node's HTTP client for the edge's APIs (`FetchLike`, shared/src/fetch-like.ts) on `node:http`
 * and `node:https`. Node's global `fetch` loads undici on its first call: ~30 ms of CPU (measured ~35 ms
 * for a first request vs ~9 ms on `node:http`), which landed inside the join. Only what the peer core
 * uses: a method, string headers and body, an abort signal, redirects, the whole answer read at once.
 *
 * @example
 * ```ts
 * const res = await httpFetch('http://127.0.0.1:8787/v1/bootstrap', { signal: AbortSignal.timeout(5_000) })
 * if (res.ok) console.log(await res.json())
 * ```
 */
import type { IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { FetchInit, FetchLike, ResponseLike } from '#shared/fetch-like.ts'

/** Redirects followed, as `fetch` does (it follows 20; the edge never sends more than one). */
const MAX_REDIRECTS = 5
/** The largest answer read: the edge's documents are a few KiB (mailbox pages up to ~1 MiB). */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024

export const httpFetch: FetchLike = (input, init = {}) => fetchOnce(new URL(String(input)), init, 0)

async function fetchOnce(url: URL, init: FetchInit, redirects: number): Promise<ResponseLike> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${url.protocol}`) })
  }
  const { signal } = init
  if (signal?.aborted === true) throw signal.reason
  const res = await send(url, init)
  const location = res.headers.location
  const status = res.statusCode ?? 0
  if (location !== undefined && [301, 302, 303, 307, 308].includes(status)) {
    res.resume()
    if (redirects >= MAX_REDIRECTS) {
      throw new TypeError('fetch failed', { cause: new Error('too many redirects') })
    }
    // 303 (and 301/302 after a POST, as browsers do) continue as a GET without the body
    const keep = status === 307 || status === 308 || (init.method ?? 'GET').toUpperCase() === 'GET'
    const next: FetchInit = keep ? init : { ...init, method: 'GET', body: undefined }
    return fetchOnce(new URL(location, url), next, redirects + 1)
  }
  const text = readAll(res, signal)
  text.catch(() => {}) // read or not, a failed body must not be an unhandled rejection
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get: (name) => {
        const v = res.headers[name.toLowerCase()]
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
      },
    },
    body: null,
    text: () => text,
    json: async () => JSON.parse(await text) as unknown,
  }
}

function send(url: URL, init: FetchInit): Promise<IncomingMessage> {
  const { signal, body } = init
  const headers: Record<string, string | number> = { ...init.headers }
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers })
    const onAbort = () => {
      req.destroy()
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    req.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort)
      reject(signal?.aborted === true ? signal.reason : new TypeError('fetch failed', { cause: err }))
    })
    req.on('response', (res) => {
      signal?.removeEventListener('abort', onAbort)
      resolve(res)
    })
    req.end(body)
  })
}

function readAll(res: IncomingMessage, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const fail = (err: unknown) => {
      signal?.removeEventListener('abort', onAbort)
      res.destroy()
      reject(err)
    }
    const onAbort = () => fail(signal!.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_ANSWER_BYTES) {
        fail(new TypeError('fetch failed', { cause: new Error(`answer over ${MAX_ANSWER_BYTES} bytes`) }))
      } else chunks.push(chunk)
    })
    let ended = false
    res.on('end', () => {
      ended = true
      signal?.removeEventListener('abort', onAbort)
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
    res.on('error', (err) => fail(new TypeError('fetch failed', { cause: err })))
    res.on('close', () => {
      if (!ended) fail(new TypeError('fetch failed', { cause: new Error('answer cut short') }))
    })
  })
}

/** Helpers shared by the worker API tests: raw HTTP with bodies, and the "no internals" check. */
import { request as httpRequest } from 'node:http'
import { expect } from 'vitest'

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * Sends `method path` with a chunked body of `bytes` bytes (64 KiB chunks) through node:http, which,
 * unlike fetch, allows a body on GET. The server may answer before the upload ends; write errors after
 * that are expected and ignored in favour of the answer.
 */
export function sendChunked(base: string, method: string, path: string, bytes: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, base),
      { method, headers: { 'transfer-encoding': 'chunked' } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', (err) => {
      // EPIPE/ECONNRESET after an early answer are fine; without an answer they are the failure.
      setTimeout(() => reject(err), 2_000).unref()
    })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    const pump = () => {
      while (sent < bytes && !req.destroyed) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (!req.destroyed) req.end()
    }
    pump()
  })
}

/** No answer body may carry a stack frame or an internal error text. */
export function expectNoInternals(body: string): void {
  expect(body).not.toMatch(/\bat [^\s]+ \(|\n\s+at |\.(ts|js):[0-9]+:[0-9]+/)
  expect(body).not.toMatch(/\b[A-Za-z]*Error:/)
}

/** A JSON error answer `{ error, message }` with the given status. */
export async function expectJsonError(
  res: Response,
  status: number,
  code?: string,
): Promise<{ error: string; message: string }> {
  const text = await res.text()
  expectNoInternals(text)
  expect(res.status, text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  const body = JSON.parse(text) as { error: string; message: string }
  expect(typeof body.error).toBe('string')
  expect(typeof body.message).toBe('string')
  if (code !== undefined) expect(body.error).toBe(code)
  return body
}

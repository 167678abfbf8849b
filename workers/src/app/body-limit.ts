/**
 * Request body bound. A declared Content-Length over the limit (or not a number) is refused without
 * reading; a chunked body is read up to limit + 1 bytes, then cancelled. Under `wrangler dev`, a large or
 * malformed chunked body forwarded to a Durable Object makes the dev server answer 500 with a stack
 * (DESIGN.md), so nothing with a body over the limit gets past the worker.
 */
import { InvalidInputError } from '../../../shared/src/errors.ts'
import { describeError, logEvent } from './log.ts'

/** Reads at most `max + 1` bytes of `body`; true when it holds more than `max`. */
export async function streamExceeds(body: ReadableStream<Uint8Array>, max: number): Promise<boolean> {
  const reader = body.getReader()
  let seen = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch {
      // The client aborted or sent a broken chunked encoding: its fault, answered 400.
      throw new InvalidInputError('the request body could not be read')
    }
    if (chunk.done) return false
    seen += chunk.value.byteLength
    if (seen > max) {
      // Stop the upload here; the answer is 413 whatever cancel() reports.
      await reader.cancel('body too large').catch((err: unknown) => {
        logEvent('warn', 'edgeswarm:worker:http', 'body.cancel-failed', describeError(err))
      })
      return true
    }
  }
}

/** True when the request declares or carries more than `max` body bytes (a malformed length counts). */
export async function bodyTooLarge(request: Request, max: number): Promise<boolean> {
  const declared = request.headers.get('content-length')?.trim()
  if (declared !== undefined && (!/^[0-9]{1,15}$/.test(declared) || Number(declared) > max)) return true
  if (request.body === null || declared === '0') return false
  return streamExceeds(request.body, max)
}

/** True when the request carries (or announces) a body at all. */
export function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length')?.trim()
  return (length !== undefined && length !== '0') || request.headers.has('transfer-encoding')
}

/**
 * Request body bound, decided from the headers alone, before any route (and so any Durable Object)
 * sees the request. No route of the worker takes a body, so the bound is simple:
 * - a declared Content-Length over the limit, or not a number → refused (413);
 * - a body of unknown length (chunked) → refused unread (413). Reading such a body up to the limit and
 *   then dropping the rest made `wrangler dev`'s entry worker answer 500 "Network connection lost" with
 *   a stack in ~1 of 15 tries (measured with 2 MiB uploads), as forwarding one to a Durable Object does
 *   (docs/NOTES.md, "Bodies under wrangler dev").
 * A body of declared length within the limit is cancelled unread before the answer (`discardBody`):
 * under `wrangler dev` the dev proxy holds our answer until the body it forwards has ended, so a body
 * shorter than its Content-Length came back as that proxy's 500 page (with a stack and file paths)
 * once the client gave up; cancelling lets our 4xx go out at once. Bodies still streaming in (chunked,
 * or over the limit) are left alone: cancelling one while the proxy is writing it makes the proxy
 * fail the same way (measured with 2 MiB uploads), whereas unread they end and our 413 goes out.
 */

/** True when the request declares more than `max` body bytes, a malformed length, or an unknown length. */
export function bodyTooLarge(request: Request, max: number): boolean {
  const declared = request.headers.get('content-length')?.trim()
  if (declared !== undefined) return !/^[0-9]{1,15}$/.test(declared) || Number(declared) > max
  return request.body !== null || request.headers.has('transfer-encoding')
}

/** True when the request carries (or announces) a body at all. */
export function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length')?.trim()
  return (length !== undefined && length !== '0') || request.headers.has('transfer-encoding')
}

/** Cancels an unread body of declared length ≤ `max`, so the answer does not wait for (or fail with) it. */
export async function discardBody(request: Request, max: number): Promise<void> {
  const declared = request.headers.get('content-length')?.trim()
  if (declared === undefined || !/^[0-9]{1,15}$/.test(declared) || Number(declared) > max) return
  if (request.body === null || request.bodyUsed) return
  try {
    await request.body.cancel()
  } catch {
    // a body that already failed (truncated, malformed chunk) is exactly what we are refusing
  }
}

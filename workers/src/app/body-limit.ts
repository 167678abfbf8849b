/**
 * Request body bound, decided from the headers alone, before any route (and so any Durable Object)
 * sees the request. No route of the worker takes a body, so the bound is simple:
 * - a declared Content-Length over the limit, or not a number → refused (413);
 * - a body of unknown length (chunked) → refused unread (413). Reading such a body up to the limit and
 *   then dropping the rest made `wrangler dev`'s entry worker answer 500 "Network connection lost" with
 *   a stack in ~1 of 15 tries (measured with 2 MiB uploads), as forwarding one to a Durable Object does
 *   (DESIGN.md); answering without touching the body was clean in 30 of 30.
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

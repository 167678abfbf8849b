import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { errorAnswer } from './http-error.ts'
import type { AppEnv } from './types.ts'

/** A JSON error answer `{ error, message }`; the code also goes into the request's log line. */
export function jsonError(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  c.set('errorCode', code)
  return c.json({ error: code, message }, status, { 'Cache-Control': 'no-store', ...headers })
}

/** `app.onError`: our error classes to their status (http-error.ts), everything else to a plain 500. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  // a middleware's ready answer (hono/bearer-auth's refusal carries our own 401 JSON)
  if (err instanceof HTTPException && err.status < 500) return err.getResponse()
  const a = errorAnswer(err)
  return jsonError(c, a.status, a.code, a.message, a.headers)
}

/** `app.notFound`. */
export function notFound(c: Context<AppEnv>): Response {
  return jsonError(
    c,
    404,
    'not_found',
    `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 100)}`,
  )
}

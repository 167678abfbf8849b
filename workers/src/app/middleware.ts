/**
 * The worker's request pipeline, in order: log the decision, bound request bodies (413), refuse methods
 * other than GET/HEAD (405), parse the vars -- all before any route can reach a Durable Object.
 */
import type { MiddlewareHandler } from 'hono'
import { MAILBOX_PATH_PREFIX, MAX_HTTP_BODY_BYTES, ROUTING_ANNOUNCE_PATH } from '#shared/constants.ts'
import { bodyTooLarge, discardBody, hasBody } from './body-limit.ts'
import { describeError, logEvent } from './log.ts'
import { jsonError } from './respond.ts'
import { parseSettings } from './settings.ts'
import { clientIpOf } from './shards.ts'
import type { AppEnv } from './types.ts'

const NS = 'edgeswarm:worker:http'
/** Every route answers GET (and HEAD, which Hono serves from GET). */
export const ALLOWED_METHODS = 'GET, HEAD'
/**
 * The routes that take a body, POST only (bounded by limitBody, then by the route itself): signed
 * routing announcements (routes/routing.ts) and the mailbox API (routes/mailbox.ts).
 */
const isPostPath = (path: string) => path === ROUTING_ANNOUNCE_PATH || path.startsWith(MAILBOX_PATH_PREFIX)

/** One JSON line per refused (4xx) or failed (5xx) request, with the error code; 5xx add the cause. */
export const logDecisions: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  const status = c.res.status
  if (status < 400) return
  const fields = {
    method: c.req.method,
    path: new URL(c.req.url).pathname.slice(0, 200),
    status,
    code: c.get('errorCode'),
    ip: clientIpOf(c.req.raw),
    ...(c.error === undefined || status < 500 ? {} : describeError(c.error)),
  }
  logEvent(status >= 500 ? 'error' : 'warn', NS, status >= 500 ? 'request.failed' : 'request.refused', fields)
}

export const loadSettings: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('settings', parseSettings(c.env as unknown as Record<string, string | undefined>))
  await next()
}

const takesBody = (c: { req: { method: string; url: string; raw: Request } }) =>
  c.req.method === 'POST' &&
  isPostPath(new URL(c.req.url).pathname) &&
  !bodyTooLarge(c.req.raw, MAX_HTTP_BODY_BYTES)

/**
 * GET/HEAD everywhere but on the POST routes, which take POST only (their bodies are bounded by
 * `limitBody`, which runs first, and validated by the route before any Durable Object sees them).
 * Anything else is 405.
 */
export const onlyGet: MiddlewareHandler<AppEnv> = async (c, next) => {
  const path = new URL(c.req.url).pathname
  if (isPostPath(path)) {
    if (c.req.method === 'POST') return next()
    return jsonError(c, 405, 'method_not_allowed', 'only POST is served here', { Allow: 'POST' })
  }
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
  return jsonError(c, 405, 'method_not_allowed', `only ${ALLOWED_METHODS} are served`, {
    Allow: ALLOWED_METHODS,
  })
}

/**
 * Only the POST routes (signed routing announcements, the mailbox API) read a body; anywhere else a
 * small one is cancelled unread (body-limit.ts says why), then too large → 413,
 * a body on GET/HEAD → 400 (it has no meaning there, and a truncated one must not get a 200), a body on
 * another method falls through to `onlyGet`'s 405.
 */
export const limitBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  // a POST route keeps its body when its declared length is bounded (the route bounds and parses it
  // again before anything reaches a Durable Object)
  if (!takesBody(c)) await discardBody(c.req.raw, MAX_HTTP_BODY_BYTES)
  if (bodyTooLarge(c.req.raw, MAX_HTTP_BODY_BYTES)) {
    return jsonError(
      c,
      413,
      'payload_too_large',
      `request bodies must declare a Content-Length of at most ${MAX_HTTP_BODY_BYTES} bytes`,
    )
  }
  if ((c.req.method === 'GET' || c.req.method === 'HEAD') && hasBody(c.req.raw)) {
    return jsonError(c, 400, 'invalid_input', `a ${c.req.method} request carries no body`)
  }
  return next()
}

/** Private-mode bearer check: see bearer.ts (re-exported for the routes). */
export { requireNetworkKey } from './bearer.ts'

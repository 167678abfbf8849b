/**
 * The worker's request pipeline, in order: log the decision, bound request bodies (413), refuse methods
 * other than GET/HEAD (405), parse the vars -- all before any route can reach a Durable Object.
 */
import type { MiddlewareHandler } from 'hono'
import { MAILBOX_PATH_PREFIX, MAX_HTTP_BODY_BYTES } from '../../../shared/src/constants.ts'
import { UnauthorizedError } from '../../../shared/src/errors.ts'
import { bearerMatches } from './bearer.ts'
import { bodyTooLarge } from './body-limit.ts'
import { describeError, logEvent } from './log.ts'
import { jsonError } from './respond.ts'
import { parseSettings } from './settings.ts'
import { clientIpOf } from './shards.ts'
import type { AppEnv } from './types.ts'

const NS = 'edgeswarm:worker:http'
/** Every route answers GET (and HEAD, which Hono serves from GET). */
export const ALLOWED_METHODS = 'GET, HEAD'

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

/**
 * GET/HEAD everywhere; POST only under `/v1/mailbox/` (its bodies are bounded by `limitBody`, which runs
 * first, and validated by the route before any Durable Object sees them). Anything else is 405.
 */
export const onlyGet: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
  const mailbox = new URL(c.req.url).pathname.startsWith(MAILBOX_PATH_PREFIX)
  if (mailbox && c.req.method === 'POST') return next()
  const allow = mailbox ? 'POST' : ALLOWED_METHODS
  return jsonError(c, 405, 'method_not_allowed', `only ${allow} are served here`, { Allow: allow })
}

export const limitBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (bodyTooLarge(c.req.raw, MAX_HTTP_BODY_BYTES)) {
    return jsonError(
      c,
      413,
      'payload_too_large',
      `request bodies must declare a Content-Length of at most ${MAX_HTTP_BODY_BYTES} bytes`,
    )
  }
  return next()
}

/** In private mode (NETWORK_KEY set), requires `Authorization: Bearer <NETWORK_KEY>`. */
export const requireNetworkKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.get('settings').networkKey
  if (key !== undefined && !(await bearerMatches(c.req.header('authorization'), key))) {
    throw new UnauthorizedError('missing or wrong bearer token')
  }
  return next()
}

/**
 * Private-mode bearer check for `/v1/bootstrap` and `/metrics`: `Authorization: Bearer <NETWORK_KEY>`,
 * by `hono/bearer-auth` (timing-safe: it hashes both sides before comparing). Every failure — no
 * header, a malformed one, a wrong token — answers our 401 JSON with the `Bearer realm="edgeswarm"`
 * challenge (http-error.ts), never the key or a hint of how close the guess was.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { UnauthorizedError } from '#shared/errors.ts'
import { errorAnswer } from './http-error.ts'
import { jsonError } from './respond.ts'
import type { AppEnv } from './types.ts'

/** RFC 6750 b64token: what a bearer token (and so NETWORK_KEY) may be made of. */
export const BEARER_TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/

function unauthorized(c: Context<AppEnv>): Response {
  const a = errorAnswer(new UnauthorizedError('missing or wrong bearer token'))
  return jsonError(c, a.status, a.code, a.message, a.headers)
}

const refuse = { message: unauthorized, wwwAuthenticateHeader: 'Bearer realm="edgeswarm"' }

/** In private mode (NETWORK_KEY set), requires `Authorization: Bearer <NETWORK_KEY>`. */
export const requireNetworkKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.get('settings').networkKey
  if (key === undefined) return next()
  const check = bearerAuth<AppEnv>({
    token: key,
    realm: 'edgeswarm',
    noAuthenticationHeader: refuse,
    invalidAuthenticationHeader: refuse,
    invalidToken: refuse,
  })
  return check(c, next)
}

/**
 * Maps errors to HTTP answers `{ error: "<code>", message: "<safe text>" }`. Our classes are matched by
 * `err.name` (each bundle has its own copy of shared/src/errors.ts). 4xx messages are ours and describe
 * the client's input; a 5xx answer never carries `err.message` or a stack, only a fixed sentence.
 */

export interface ErrorAnswer {
  status: 400 | 401 | 403 | 404 | 405 | 413 | 426 | 429 | 500 | 502 | 503 | 504 | 507
  code: string
  message: string
  headers?: Record<string, string>
}

/** Realm announced with 401 answers (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="edgeswarm"'

/** Longest client-facing message; ours are one sentence naming a parameter and its value. */
const MAX_MESSAGE_CHARS = 200

type Mapping = Omit<ErrorAnswer, 'message'> & { message?: string }

const BY_NAME: Record<string, Mapping> = {
  InvalidInputError: { status: 400, code: 'invalid_input' },
  InvalidMultiaddrError: { status: 400, code: 'invalid_multiaddr' },
  UnauthorizedError: {
    status: 401,
    code: 'unauthorized',
    message: 'this network is private: send Authorization: Bearer <network key>',
    headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
  },
  QuotaExceededError: { status: 429, code: 'quota_exceeded' },
  InvalidMessageError: { status: 400, code: 'invalid_message' },
  MailboxFullError: { status: 507, code: 'mailbox_full' },
  ConfigError: {
    status: 500,
    code: 'config_error',
    message: 'the edge is misconfigured; its operator finds the reason in the logs',
  },
  BootstrapError: { status: 502, code: 'bad_gateway', message: 'an upstream answered badly' },
  TimeoutError: { status: 504, code: 'timeout', message: 'an upstream did not answer in time' },
}

const INTERNAL: ErrorAnswer = { status: 500, code: 'internal_error', message: 'internal error' }

/** One line of printable text, bounded: a client-facing message never spans lines. */
function safeText(text: string): string {
  const line = text.replace(/[^\x20-\x7e]+/g, ' ').trim()
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS - 3)}...` : line
}

export function errorAnswer(err: unknown): ErrorAnswer {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : ''
  const mapping = Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined
  if (mapping === undefined) return INTERNAL
  if (mapping.message !== undefined || mapping.status >= 500) {
    return { ...mapping, message: mapping.message ?? INTERNAL.message }
  }
  const message = err instanceof Error ? safeText(err.message) : ''
  return { ...mapping, message: message === '' ? mapping.code : message }
}

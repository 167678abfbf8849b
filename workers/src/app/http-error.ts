/**
 * Maps errors to HTTP answers `{ error: "<code>", message: "<safe text>" }`. Our classes are matched by
 * `err.name` (each bundle has its own copy of shared/src/errors.ts); the status comes from the map the
 * node's control API shares (shared/src/http-status.ts), the code and wording from here. 4xx messages are ours and describe
 * the client's input; a 5xx answer never carries `err.message` or a stack, only a fixed sentence.
 */

import { type ErrorStatus, httpStatusOf } from '#shared/http-status.ts'

export interface ErrorAnswer {
  status: ErrorStatus
  code: string
  message: string
  headers?: Record<string, string>
}

/** Realm announced with 401 answers (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="edgeswarm"'

/** Longest client-facing message; ours are one sentence naming a parameter and its value. */
const MAX_MESSAGE_CHARS = 200

type Mapping = Omit<ErrorAnswer, 'message' | 'status'> & { message?: string }

const BY_NAME: Record<string, Mapping> = {
  InvalidInputError: { code: 'invalid_input' },
  InvalidMultiaddrError: { code: 'invalid_multiaddr' },
  UnauthorizedError: {
    code: 'unauthorized',
    message: 'this network is private: send Authorization: Bearer <network key>',
    headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
  },
  InvalidRecordError: { code: 'invalid_record' },
  QuotaExceededError: { code: 'quota_exceeded' },
  InvalidMessageError: { code: 'invalid_message' },
  MailboxFullError: { code: 'mailbox_full' },
  ConfigError: {
    code: 'config_error',
    message: 'the edge is misconfigured; its operator finds the reason in the logs',
  },
  BootstrapError: { code: 'bad_gateway', message: 'an upstream answered badly' },
  TimeoutError: { code: 'timeout', message: 'an upstream did not answer in time' },
}

const INTERNAL: ErrorAnswer = { status: 500, code: 'internal_error', message: 'internal error' }

/** One line of printable text, bounded: a client-facing message never spans lines. */
function safeText(text: string): string {
  const line = text.replace(/[^\x20-\x7e]+/g, ' ').trim()
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS - 3)}...` : line
}

export function errorAnswer(err: unknown): ErrorAnswer {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : ''
  const found = Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined
  if (found === undefined) return INTERNAL
  const mapping = { ...found, status: httpStatusOf(err) }
  if (mapping.message !== undefined || mapping.status >= 500) {
    return { ...mapping, message: mapping.message ?? INTERNAL.message }
  }
  const message = err instanceof Error ? safeText(err.message) : ''
  return { ...mapping, message: message === '' ? mapping.code : message }
}

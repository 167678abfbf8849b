/**
 * One map from our error classes (by `err.name`, shared/src/errors.ts) to HTTP statuses, used by the
 * worker's error answers (workers/src/app/http-error.ts) and the node's control API
 * (node/src/control/server.ts), so that one error means one status everywhere. Anything else is 500.
 *
 * @example
 * ```ts
 * httpStatusOf(new InvalidInputError('bytes must be > 0')) // 400
 * ```
 */

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 413 | 426 | 429 | 500 | 502 | 503 | 504 | 507

export const HTTP_STATUS_BY_ERROR: Readonly<Record<string, ErrorStatus>> = Object.freeze({
  /** The client's input is wrong. */
  InvalidInputError: 400,
  InvalidMultiaddrError: 400,
  /** A compute job's WebAssembly module that does not validate, imports anything or breaks the caps. */
  ModuleRejectedError: 400,
  /** A control-API request the daemon cannot serve as asked (bad route use, daemon state). */
  ControlError: 400,
  UnauthorizedError: 401,
  /** A lookup found nothing: content (a CID) nobody provides within the documented time, an unknown peer. */
  NotFoundError: 404,
  /** Content larger than the caller allowed. */
  TooLargeError: 413,
  /** A signed record (routing announcement) that does not verify for the peer it names. */
  InvalidRecordError: 403,
  QuotaExceededError: 429,
  /** A pub/sub or direct message is malformed, unsigned or too large. */
  InvalidMessageError: 400,
  /** A recipient's edge mailbox is full (or the sender's share of it). */
  MailboxFullError: 507,
  /** The server's own configuration is wrong: the operator's problem, not the client's. */
  ConfigError: 500,
  IdentityError: 500,
  /** An upstream (a bootstrap server, a shard, a peer) answered badly or not in time. */
  BootstrapError: 502,
  /** Content failed verification (a DAG lying about sizes). */
  IntegrityError: 502,
  /** A compute task failed on the workers (timeout, memory, trap, oversized output). */
  TaskFailedError: 502,
  /** No peer can serve the request now (no compute worker announced, reachable or unbanned). */
  NoWorkersError: 503,
  TimeoutError: 504,
  /** The node's own disk is full or unwritable: the download keeps its verified chunks and resumes later. */
  StorageError: 507,
})

/** The HTTP status for an error, by its `name`; 500 for anything not ours. */
export function httpStatusOf(err: unknown): ErrorStatus {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : ''
  return Object.hasOwn(HTTP_STATUS_BY_ERROR, name) ? HTTP_STATUS_BY_ERROR[name]! : 500
}

/**
 * Every edgeswarm error class. Compare `err.name`, never `instanceof`: the worker, node and browser
 * bundles each carry their own copy of these classes.
 */

/** A configuration value is missing, malformed or out of range. The message names the config path. */
export class ConfigError extends Error {
  static override readonly name = 'ConfigError'
  override readonly name = 'ConfigError'
}

/** Input from outside (HTTP body, query, JSON document, CLI flag) does not match its schema. */
export class InvalidInputError extends Error {
  static override readonly name = 'InvalidInputError'
  override readonly name = 'InvalidInputError'
}

/** A multiaddr could not be parsed or is not usable for the purpose given. */
export class InvalidMultiaddrError extends Error {
  static override readonly name = 'InvalidMultiaddrError'
  override readonly name = 'InvalidMultiaddrError'
}

/** The bootstrap URL could not be reached or did not answer with a valid document. */
export class BootstrapError extends Error {
  static override readonly name = 'BootstrapError'
  override readonly name = 'BootstrapError'
}

/** The peer lacks (or presented a wrong) network credential in a private network. */
export class UnauthorizedError extends Error {
  static override readonly name = 'UnauthorizedError'
  override readonly name = 'UnauthorizedError'
}

/** A relay quota (reservations, circuit bytes or duration, connections per IP) was exceeded. */
export class QuotaExceededError extends Error {
  static override readonly name = 'QuotaExceededError'
  override readonly name = 'QuotaExceededError'
}

/** A persisted identity key could not be read, parsed or written. */
export class IdentityError extends Error {
  static override readonly name = 'IdentityError'
  override readonly name = 'IdentityError'
}

/** A request to the local control API failed (daemon not running, bad token, bad command). */
export class ControlError extends Error {
  static override readonly name = 'ControlError'
  override readonly name = 'ControlError'
}

/** A wait for a condition ran out of time. */
export class TimeoutError extends Error {
  static override readonly name = 'TimeoutError'
  override readonly name = 'TimeoutError'
}

/** A lookup found nothing: a provider or peer (routing), content (a CID) within the documented time (files). */
export class NotFoundError extends Error {
  static override readonly name = 'NotFoundError'
  override readonly name = 'NotFoundError'
}

/** A signed record (routing announcement) failed verification: bad signature, another peer, stale. */
export class InvalidRecordError extends Error {
  static override readonly name = 'InvalidRecordError'
  override readonly name = 'InvalidRecordError'
}

/** A compute job's WebAssembly module was refused: it does not validate, imports anything, lacks an export or exceeds the memory cap. */
export class ModuleRejectedError extends Error {
  static override readonly name = 'ModuleRejectedError'
  override readonly name = 'ModuleRejectedError'
}

/**
 * A compute task failed on a worker: `reason` is `timeout`, `memory`, `trap`, `oversized-output`,
 * `bad-output` or `crashed` (the same codes travel on the wire).
 */
export class TaskFailedError extends Error {
  static override readonly name = 'TaskFailedError'
  override readonly name = 'TaskFailedError'
  readonly reason: string
  constructor(reason: string, message: string) {
    super(message)
    this.reason = reason
  }
}

/** A compute job found no worker to run its tasks (none announced, none reachable, all banned). */
export class NoWorkersError extends Error {
  static override readonly name = 'NoWorkersError'
  override readonly name = 'NoWorkersError'
}

/** A mailbox refused a message: full for the recipient, or this sender's share is used up. */
export class MailboxFullError extends Error {
  static override readonly name = 'MailboxFullError'
  override readonly name = 'MailboxFullError'
}

/** A message (pub/sub or direct) is malformed, unsigned, badly signed or too large. */
export class InvalidMessageError extends Error {
  static override readonly name = 'InvalidMessageError'
  override readonly name = 'InvalidMessageError'
}

/**
 * Some libraries reject with DOM `Event` objects or plain values, not Errors. Normalise at the boundary
 * so that logs and error mapping always see an `Error` with a name and message.
 */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err
  if (typeof err === 'object' && err !== null && 'type' in err) {
    const type = String((err as { type: unknown }).type)
    const message = 'message' in err ? String((err as { message: unknown }).message) : ''
    return new Error(`${type} event${message === '' ? '' : `: ${message}`}`)
  }
  return new Error(String(err))
}

/** Content failed verification: a block that does not hash to its CID, or a DAG whose sizes disagree. */
export class IntegrityError extends Error {
  static override readonly name = 'IntegrityError'
  override readonly name = 'IntegrityError'
}

/** Content is larger than the caller allowed (`maxBytes`) or than storage can hold. */
export class TooLargeError extends Error {
  static override readonly name = 'TooLargeError'
  override readonly name = 'TooLargeError'
}

/** Local storage failed (disk full, quota exceeded): what was verified so far is kept for a retry. */
export class StorageError extends Error {
  static override readonly name = 'StorageError'
  override readonly name = 'StorageError'
}

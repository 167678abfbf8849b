/**
 * The mailbox's admission rule, pure so it is unit-tested apart from SQLite: a new message fits when the
 * recipient's box stays within its message and byte quotas and the sender stays within its share.
 */
import * as D from '#shared/defaults.ts'

export interface MailboxUsage {
  /** Messages and bytes in the recipient's box now. */
  messages: number
  bytes: number
  /** Messages of this sender in the box now. */
  fromSender: number
}

export interface MailboxLimits {
  maxMessages: number
  maxBytes: number
  maxPerSender: number
}

export const MAILBOX_LIMITS: MailboxLimits = Object.freeze({
  maxMessages: D.DEFAULT_MAILBOX_MAX_MESSAGES,
  maxBytes: D.DEFAULT_MAILBOX_MAX_BYTES,
  maxPerSender: D.DEFAULT_MAILBOX_MAX_PER_SENDER,
})

export type Admission = { ok: true } | { ok: false; code: 'mailbox_full' | 'sender_quota'; message: string }

export function admit(usage: MailboxUsage, size: number, limits: MailboxLimits = MAILBOX_LIMITS): Admission {
  if (usage.messages >= limits.maxMessages || usage.bytes + size > limits.maxBytes) {
    return {
      ok: false,
      code: 'mailbox_full',
      message: `the recipient's mailbox is full (${usage.messages} messages, ${usage.bytes} bytes of ${limits.maxMessages} / ${limits.maxBytes}); it empties when the recipient comes online`,
    }
  }
  if (usage.fromSender >= limits.maxPerSender) {
    return {
      ok: false,
      code: 'sender_quota',
      message: `you already have ${usage.fromSender} messages waiting in this mailbox (at most ${limits.maxPerSender})`,
    }
  }
  return { ok: true }
}

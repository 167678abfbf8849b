/**
 * Mailbox Durable Object: one per recipient peer ID (`idFromName(peerId)`), holding sealed direct
 * messages for it while it is offline. SQLite storage, nothing kept in memory; TTL by alarm.
 *
 * Quotas (shared/src/defaults.ts): `DEFAULT_MAILBOX_MAX_MESSAGES` and `DEFAULT_MAILBOX_MAX_BYTES` per
 * recipient, `DEFAULT_MAILBOX_MAX_PER_SENDER` per sender in one mailbox. Every message gets the next
 * sequence number (its delivery order); a deposit with an ID already stored is accepted again without a
 * second copy (a sender retrying after a lost answer), and `ack(upTo)` deletes everything up to a
 * sequence number, so a recipient that fetched, stored and acknowledged sees each message once.
 * The envelope was verified by the Worker; this object never sees plaintext.
 */
import { DurableObject } from 'cloudflare:workers'
import * as D from '#shared/defaults.ts'
import type { MailboxEnvelope, MailboxItem } from '#shared/protocol/mailbox.ts'
import type { Env } from '../env.ts'
import { admit } from './mailbox-quota.ts'

export type DepositResult =
  | { ok: true; seq: number; duplicate: boolean }
  | { ok: false; code: 'mailbox_full' | 'sender_quota'; message: string }

/** Largest fetch answer (messages): a page, so one answer stays well under the Worker's limits. */
const FETCH_PAGE = 64

export class Mailbox extends DurableObject<Env> {
  readonly #sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      sender TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      expires INTEGER NOT NULL,
      envelope TEXT NOT NULL
    )`)
  }

  async deposit(envelope: MailboxEnvelope, now = Date.now()): Promise<DepositResult> {
    this.#purge(now)
    const dup = this.#sql
      .exec<{ seq: number }>('SELECT seq FROM messages WHERE id = ?', envelope.id)
      .toArray()
    if (dup.length > 0) return { ok: true, seq: dup[0]!.seq, duplicate: true }
    const text = JSON.stringify(envelope)
    const total = await this.stats()
    const fromSender = this.#sql
      .exec<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE sender = ?', envelope.from)
      .one().n
    const verdict = admit({ messages: total.messages, bytes: total.bytes, fromSender }, text.length)
    if (!verdict.ok) return verdict
    const expires = now + D.DEFAULT_MAILBOX_TTL_SECONDS * 1000
    const seq = this.#sql
      .exec<{ seq: number }>(
        'INSERT INTO messages (id, sender, bytes, expires, envelope) VALUES (?, ?, ?, ?, ?) RETURNING seq',
        envelope.id,
        envelope.from,
        text.length,
        expires,
        text,
      )
      .one().seq
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expires)
    return { ok: true, seq, duplicate: false }
  }

  /** Messages after `after`, oldest first, one page. */
  async fetchAfter(after: number, now = Date.now()): Promise<MailboxItem[]> {
    this.#purge(now)
    return this.#sql
      .exec<{ seq: number; envelope: string }>(
        'SELECT seq, envelope FROM messages WHERE seq > ? ORDER BY seq LIMIT ?',
        after,
        FETCH_PAGE,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, envelope: JSON.parse(r.envelope) as MailboxEnvelope }))
  }

  /** Deletes every message up to `upTo` (delivered); returns how many went. */
  async ack(upTo: number): Promise<number> {
    return this.#sql.exec('DELETE FROM messages WHERE seq <= ?', upTo).rowsWritten
  }

  async stats(): Promise<{ messages: number; bytes: number }> {
    const r = this.#sql
      .exec<{ n: number; b: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM messages')
      .one()
    return { messages: r.n, bytes: r.b }
  }

  override async alarm(): Promise<void> {
    this.#purge(Date.now())
    const next = this.#sql.exec<{ e: number | null }>('SELECT MIN(expires) AS e FROM messages').one().e
    if (next !== null) await this.ctx.storage.setAlarm(next)
  }

  #purge(now: number): void {
    this.#sql.exec('DELETE FROM messages WHERE expires <= ?', now)
  }
}

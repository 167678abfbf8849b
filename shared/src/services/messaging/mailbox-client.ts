/**
 * The peer's side of the edge mailbox HTTP API (workers/src/routes/mailbox.ts): leave a sealed envelope
 * for an offline peer, fetch and acknowledge our own mailbox with requests signed by our key.
 * Failures carry the edge's error code: `mailbox_full` / `sender_quota` become a MailboxFullError.
 */
import { MAILBOX_PATH_PREFIX } from '../../constants.ts'
import { DEFAULT_BOOTSTRAP_TIMEOUT_MS } from '../../defaults.ts'
import { MailboxFullError } from '../../errors.ts'
import {
  type MailboxEnvelope,
  type MailboxItem,
  requestSigningBytes,
  signWith,
} from '../../protocol/mailbox.ts'

export interface MailboxClientInit {
  edgeUrl: string
  networkKey?: string | undefined
  self: string
  /** Our Ed25519 seed (signs fetch/ack requests). */
  seed: Uint8Array
}

export class MailboxClient {
  readonly #init: MailboxClientInit

  constructor(init: MailboxClientInit) {
    this.#init = init
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.#init.networkKey !== undefined) headers.authorization = `Bearer ${this.#init.networkKey}`
    const res = await fetch(new URL(`${MAILBOX_PATH_PREFIX}${path}`, this.#init.edgeUrl), {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(DEFAULT_BOOTSTRAP_TIMEOUT_MS),
    })
    const json = (await res.json().catch(() => ({}))) as { error?: string; message?: string }
    if (res.ok) return json
    if (json.error === 'mailbox_full' || json.error === 'sender_quota') {
      throw new MailboxFullError(`${json.error}: ${json.message ?? 'mailbox full'}`)
    }
    throw new Error(
      `mailbox ${path.split('/')[1] ?? 'deposit'} answered HTTP ${res.status} ${json.error ?? ''}`.trim(),
    )
  }

  async deposit(envelope: MailboxEnvelope): Promise<{ seq: number; duplicate: boolean }> {
    return (await this.#post(envelope.to, envelope)) as { seq: number; duplicate: boolean }
  }

  async fetch(after = 0): Promise<MailboxItem[]> {
    const ts = Date.now()
    const { self, seed } = this.#init
    const sig = signWith(seed, requestSigningBytes('fetch', self, ts, String(after)))
    return ((await this.#post(`${self}/fetch`, { after, ts, sig })) as { messages: MailboxItem[] }).messages
  }

  async ack(upTo: number): Promise<number> {
    const ts = Date.now()
    const { self, seed } = this.#init
    const sig = signWith(seed, requestSigningBytes('ack', self, ts, String(upTo)))
    return ((await this.#post(`${self}/ack`, { upTo, ts, sig })) as { deleted: number }).deleted
  }
}

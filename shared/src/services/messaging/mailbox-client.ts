/**
 * The peer's side of the edge mailbox HTTP API (workers/src/routes/mailbox.ts): leave a sealed envelope
 * for an offline peer, fetch and acknowledge our own mailbox with requests signed by our key.
 * Failures carry the edge's error code: `mailbox_full` / `sender_quota` become a MailboxFullError.
 */
import type { PrivateKey } from '@libp2p/interface'
import { MAILBOX_PATH_PREFIX } from '../../constants.ts'
import { DEFAULT_BOOTSTRAP_TIMEOUT_MS } from '../../defaults.ts'
import { MailboxFullError } from '../../errors.ts'
import { type FetchLike, globalFetch } from '../../fetch-like.ts'
import {
  type MailboxEnvelope,
  type MailboxItem,
  requestSigningBytes,
  toBase64Url,
} from '../../protocol/mailbox.ts'

export interface MailboxClientInit {
  edgeUrl: string
  networkKey?: string | undefined
  self: string
  /**
   * Our Ed25519 key (signs fetch/ack requests). Signed through the key itself, not with the pure-JS
   * `signWith`: in Node that is native crypto, where the first pure-JS signature cost ~40 ms of CPU
   * (table set-up) right inside the node's join (docs/NOTES.md, "Start-up"). Ed25519 signatures are
   * deterministic: both give the same bytes.
   */
  key: PrivateKey
  /** @default the runtime's `fetch` */
  fetch?: FetchLike | undefined
}

export class MailboxClient {
  readonly #init: MailboxClientInit

  constructor(init: MailboxClientInit) {
    this.#init = init
  }

  async #sign(bytes: Uint8Array): Promise<string> {
    return toBase64Url(await this.#init.key.sign(bytes))
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.#init.networkKey !== undefined) headers.authorization = `Bearer ${this.#init.networkKey}`
    const res = await (this.#init.fetch ?? globalFetch)(
      new URL(`${MAILBOX_PATH_PREFIX}${path}`, this.#init.edgeUrl),
      {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(DEFAULT_BOOTSTRAP_TIMEOUT_MS),
      },
    )
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
    const { self } = this.#init
    const sig = await this.#sign(requestSigningBytes('fetch', self, ts, String(after)))
    return ((await this.#post(`${self}/fetch`, { after, ts, sig })) as { messages: MailboxItem[] }).messages
  }

  async ack(upTo: number): Promise<number> {
    const ts = Date.now()
    const { self } = this.#init
    const sig = await this.#sign(requestSigningBytes('ack', self, ts, String(upTo)))
    return ((await this.#post(`${self}/ack`, { upTo, ts, sig })) as { deleted: number }).deleted
  }
}

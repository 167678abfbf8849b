/**
 * Empties this peer's edge mailbox into its inbox: fetch a page, open each sealed envelope, store it
 * (the inbox drops IDs it has seen), acknowledge the page, repeat until the mailbox is empty.
 *
 * It needs only the identity key, the edge URL and storage — no libp2p, no relay reservation — so the
 * shells start it as soon as the key is loaded, while the bootstrap document, libp2p and the
 * reservations are still on their way (offline messages then arrive within one HTTP round trip of
 * the peer's return, not after its whole join). The `messages` service then uses the same instance
 * (the same inbox) for its periodic checks.
 *
 * @example
 * ```ts
 * const drain = new MailboxDrain({ privateKey, edgeUrl, storage, events })
 * drain.poll() // in the background; `mailbox.checked` / `mailbox.fetch-failed` events
 * overlayServices({ messages: { drain } })
 * ```
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { toError } from '../../errors.ts'
import type { FetchLike } from '../../fetch-like.ts'
import type { EventSink } from '../../peer/service.ts'
import type { PeerStorage } from '../../peer/storage.ts'
import { Inbox } from './inbox.ts'
import { MailboxClient } from './mailbox-client.ts'
import { openEnvelope } from './seal.ts'
import type { DirectMessage } from './types.ts'

export interface MailboxDrainInit {
  privateKey: PrivateKey
  /** The edge's base URL (the bootstrap URL). */
  edgeUrl: string
  /** Private overlay: the bearer credential for the mailbox API. */
  networkKey?: string | undefined
  storage: PeerStorage
  events: EventSink
  /** @default the runtime's `fetch` */
  fetch?: FetchLike | undefined
}

export class MailboxDrain {
  /** The peer's inbox (`messages` KV namespace): the one instance, shared with the messages service. */
  readonly inbox: Inbox
  readonly self: string
  readonly #init: MailboxDrainInit
  readonly #client: MailboxClient
  #checking: Promise<number> | undefined
  #firstDone!: () => void
  /**
   * Resolves once the first check has stored its first page, found the mailbox empty, or failed: the
   * offline messages are in the inbox then (the acknowledgement may still be on its way).
   */
  readonly firstPage = new Promise<void>((resolve) => {
    this.#firstDone = resolve
  })

  constructor(init: MailboxDrainInit) {
    this.#init = init
    this.self = peerIdFromPrivateKey(init.privateKey).toString()
    this.inbox = new Inbox(init.storage.kv('messages'))
    this.#client = new MailboxClient({
      edgeUrl: init.edgeUrl,
      networkKey: init.networkKey,
      self: this.self,
      key: init.privateKey,
      fetch: init.fetch,
    })
  }

  /** Empties the mailbox (one run at a time: a call during a run joins it); resolves how many were new. */
  check(): Promise<number> {
    this.#checking ??= this.#drain().finally(() => {
      this.#checking = undefined
      this.#firstDone()
    })
    return this.#checking
  }

  /** `check()` in the background, failures reported as `mailbox.fetch-failed` (the next poll retries). */
  poll(): void {
    void this.check().catch((err: unknown) =>
      this.#init.events('mailbox.fetch-failed', { reason: toError(err).message }, 'debug'),
    )
  }

  async #drain(): Promise<number> {
    const { privateKey, events } = this.#init
    const started = performance.now()
    let fresh = 0
    for (;;) {
      const page = await this.#client.fetch(0)
      if (page.length === 0) {
        this.#firstDone()
        events('mailbox.checked', { fresh, ms: Math.round(performance.now() - started) })
        return fresh
      }
      const letters: DirectMessage[] = []
      for (const item of page) {
        try {
          const l = openEnvelope(privateKey, this.self, item.envelope)
          letters.push({ ...l, to: this.self, sentAt: l.ts, receivedAt: Date.now(), via: 'mailbox' })
        } catch (err) {
          // a message we cannot open is dropped (and acked below), never retried forever
          events('dm.dropped', { reason: toError(err).message, seq: item.seq }, 'warn')
        }
      }
      const isNew = await this.inbox.acceptAll(letters)
      for (const [i, m] of letters.entries()) {
        if (!isNew[i]) continue
        fresh++
        events('dm.received', { id: m.id, from: m.from, via: 'mailbox' })
      }
      this.#firstDone()
      // stored (or known) first, acknowledged after: a crash in between re-fetches, the inbox dedupes
      await this.#client.ack(page.at(-1)!.seq)
    }
  }
}

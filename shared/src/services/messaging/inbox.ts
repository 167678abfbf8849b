/**
 * The received direct messages of a peer, persisted in its KvStore (`messages` namespace), with the
 * exactly-once bookkeeping: every message ID is kept once (`seen/<id>`), whether it came over a live
 * connection, from the edge mailbox, or both (a sender whose receipt got lost queues it again).
 * Messages are numbered in arrival order (`m/<n>`), so `list()` is the order they were delivered in.
 * Accepts run one at a time (a promise chain), so two deliveries of one ID cannot both win.
 */
import { DEFAULT_INBOX_KEEP } from '../../defaults.ts'
import type { KvStore } from '../../peer/storage.ts'
import type { DirectMessage } from './types.ts'

const pad = (n: number) => String(n).padStart(12, '0')

export class Inbox {
  readonly #kv: KvStore
  readonly #listeners = new Set<(m: DirectMessage) => void>()
  #chain: Promise<unknown> = Promise.resolve()

  constructor(kv: KvStore) {
    this.#kv = kv
  }

  /** Stores `m` unless its ID was seen before; resolves true when it is new. */
  accept(m: DirectMessage): Promise<boolean> {
    const run = this.#chain.then(() => this.#accept(m))
    this.#chain = run.catch(() => undefined)
    return run
  }

  async #accept(m: DirectMessage): Promise<boolean> {
    if ((await this.#kv.get<boolean>(`seen/${m.id}`)) === true) return false
    const n = ((await this.#kv.get<number>('count')) ?? 0) + 1
    await this.#kv.put(`m/${pad(n)}`, m)
    await this.#kv.put(`seen/${m.id}`, true)
    await this.#kv.put('count', n)
    if (n > DEFAULT_INBOX_KEEP) await this.#kv.delete(`m/${pad(n - DEFAULT_INBOX_KEEP)}`)
    for (const l of this.#listeners) l(m)
    return true
  }

  async list(): Promise<DirectMessage[]> {
    await this.#chain
    return (await this.#kv.list<DirectMessage>('m/')).map(([, m]) => m)
  }

  onMessage(listener: (m: DirectMessage) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

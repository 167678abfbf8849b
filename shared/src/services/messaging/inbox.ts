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
  async accept(m: DirectMessage): Promise<boolean> {
    return (await this.acceptAll([m]))[0]!
  }

  /**
   * Stores each of `ms` (in order) unless its ID was seen before; resolves, per message, true when it
   * is new. One batch costs three storage rounds whatever its size (the seen flags read together, the
   * records and flags written together, then the count), which is what a mailbox page needs at start,
   * when the event loop is busy bringing libp2p up and every await waits behind it.
   */
  acceptAll(ms: readonly DirectMessage[]): Promise<boolean[]> {
    const run = this.#chain.then(() => this.#acceptAll(ms))
    this.#chain = run.catch(() => undefined)
    return run
  }

  async #acceptAll(ms: readonly DirectMessage[]): Promise<boolean[]> {
    const [count, ...seen] = await Promise.all([
      this.#kv.get<number>('count'),
      ...ms.map((m) => this.#kv.get<boolean>(`seen/${m.id}`)),
    ])
    const ids = new Set<string>()
    const fresh = ms.map((m, i) => {
      const ok = seen[i] !== true && !ids.has(m.id)
      ids.add(m.id)
      return ok
    })
    const stored = ms.filter((_, i) => fresh[i])
    if (stored.length === 0) return fresh
    let n = count ?? 0
    // records and flags first, the count last, once all of them are on disk (the order a single
    // message always had); the mailbox is acknowledged only after this resolves
    const writes: Promise<void>[] = []
    for (const m of stored) {
      n++
      writes.push(this.#kv.put(`m/${pad(n)}`, m), this.#kv.put(`seen/${m.id}`, true))
      if (n > DEFAULT_INBOX_KEEP) writes.push(this.#kv.delete(`m/${pad(n - DEFAULT_INBOX_KEEP)}`))
    }
    await Promise.all(writes)
    await this.#kv.put('count', n)
    for (const m of stored) for (const l of this.#listeners) l(m)
    return fresh
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

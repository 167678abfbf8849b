/**
 * A complete seed's first pass over a file that several peers download from it at once (a flash crowd),
 * in the manner of BitTorrent's super-seeding: until every chunk has left this seed once, a chunk it
 * already sent is not sent again while another downloader waits for one it has not sent. The downloaders
 * fetch such chunks from each other, so the seed's uplink, the crowd's bottleneck, carries each chunk
 * once (the fluid model's assumption) instead of the same popular chunks to everyone.
 *
 * Work-conserving: a repeat is refused only while another stream of the same file is sending a
 * never-sent chunk or has one queued, so the uplink never idles for the rule and a late joiner whose
 * peers cannot serve it is still served. The refusal is an ordinary DONT_HAVE; the HAVE answer lists only the chunks not yet sent.
 * Downloaders need nothing new: they already take a DONT_HAVE as a corrected have-map and refresh it.
 *
 * @example
 * ```ts
 * const pass = new FirstPass(leafCids)
 * pass.join(stream)            // a HAVE_REQ for this file on `stream`
 * pass.admit(stream, cid)      // 'fresh' | 'repeat': send it; false: answer DONT_HAVE
 * pass.leave(stream)           // the stream ended
 * ```
 */
import type { CID } from 'multiformats/cid'
import { Bitmap } from './bitmap.ts'

/** One downloader's stream as the pass sees it: what it has queued, and whether it is sending a fresh chunk. */
export interface QueuedWants {
  wanted(): Iterable<CID>
  /** Set by the listener while it writes a chunk this pass had never sent. */
  sendingFresh?: boolean
}

export class FirstPass {
  readonly #index = new Map<string, number>()
  readonly #sent: Bitmap
  readonly #streams = new Set<QueuedWants>()

  constructor(leaves: readonly CID[]) {
    for (const [i, cid] of leaves.entries())
      if (!this.#index.has(cid.toString())) this.#index.set(cid.toString(), i)
    this.#sent = new Bitmap(leaves.length)
  }

  get done(): boolean {
    return this.#sent.all()
  }

  get streams(): number {
    return this.#streams.size
  }

  join(s: QueuedWants): void {
    this.#streams.add(s)
  }

  leave(s: QueuedWants): void {
    this.#streams.delete(s)
  }

  /**
   * Whether the rule is on: at least two downloaders, and a chunk not yet sent or still on its way (the
   * last chunks of the pass are still going out to one downloader each, which then serve the rest).
   */
  get active(): boolean {
    if (this.#streams.size < 2) return false
    if (!this.done) return true
    for (const s of this.#streams) if (s.sendingFresh === true) return true
    return false
  }

  /** The chunks not yet sent (the HAVE answer while the rule is on), as have-map bytes. */
  unsent(): Uint8Array {
    const out = Bitmap.full(this.#sent.size)
    for (let i = 0; i < this.#sent.size; i++) if (this.#sent.get(i)) out.clear(i)
    return out.bytes
  }

  /**
   * Whether `from` may be sent `cid` now: `fresh` (never sent, now recorded), `repeat`, or false (answer
   * DONT_HAVE). Blocks that are not chunks of this file always pass.
   */
  admit(from: QueuedWants, cid: CID): 'fresh' | 'repeat' | false {
    const idx = this.#index.get(cid.toString())
    if (idx === undefined) return 'repeat'
    if (!this.#sent.get(idx)) {
      this.#sent.set(idx)
      return 'fresh'
    }
    if (!this.active || !this.#streams.has(from)) return 'repeat'
    for (const s of this.#streams) {
      if (s !== from && s.sendingFresh === true) return false
      for (const w of s.wanted()) {
        const i = this.#index.get(w.toString())
        if (i !== undefined && !this.#sent.get(i)) return false
      }
    }
    return 'repeat'
  }
}

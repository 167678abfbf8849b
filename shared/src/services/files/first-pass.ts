/**
 * A complete seed's first pass over a file that several peers download from it at once (a flash crowd),
 * in the manner of BitTorrent's super-seeding: until every chunk has reached one downloader, a chunk this
 * seed already sent is not sent again. The downloaders fetch such chunks from each other, so the seed's
 * uplink, the crowd's bottleneck, carries each chunk once (the fluid model's assumption) instead of the
 * same popular chunks to everyone.
 *
 * When the seed can ask its downloaders what they hold (`seen`, fed by the listener from their HAVE
 * answers, polled every second), a chunk counts as spread once a downloader reports it, not once it was
 * written: a write ends when the bytes are in the connection's buffers, which on a slow uplink hold
 * seconds of data (on a 10 Mbit/s uplink to 8 downloaders the seed had written a chunk ~5 s before it
 * arrived, and the old rule then sent the crowd's last chunk 9 times). A repeat is then refused while
 * the chunk is on its way (its write ended less than `lostMs` ago, or has not ended, and nobody reported it) or already held by a
 * downloader (fetch it there). A chunk whose downloader left before reporting it counts as never sent
 * (it may be nowhere else), and one unreported for `lostMs` is offered and sent again. The pass ends
 * when every chunk has been reported.
 *
 * Without reports, a chunk counts as spread when its write ends, and the rule is work-conserving: a
 * repeat is refused only while another stream is sending a never-sent chunk or has one queued.
 *
 * The refusal is an ordinary DONT_HAVE; the HAVE answer lists only the chunks not yet sent. Downloaders
 * need nothing new: they already take a DONT_HAVE as a corrected have-map and refresh it.
 *
 * @example
 * ```ts
 * const pass = new FirstPass(leafCids, { reports: true })
 * pass.join(stream)            // a HAVE_REQ for this file on `stream`
 * pass.admit(stream, cid)      // 'fresh' | 'repeat': send it; false: answer DONT_HAVE
 * pass.seen(haveAnswer)        // a downloader's have-map
 * pass.leave(stream)           // the stream ended
 * ```
 */
import type { CID } from 'multiformats/cid'
import { DEFAULT_FILES_STALL_TIMEOUT_MS } from '../../defaults.ts'
import { Bitmap } from './bitmap.ts'

/** One downloader's stream as the pass sees it: what it has queued, and whether it is sending a fresh chunk. */
export interface QueuedWants {
  wanted(): Iterable<CID>
  /** Set by the listener while it writes a chunk this pass had never sent. */
  sendingFresh?: boolean
}

export interface FirstPassOptions {
  /** The listener feeds downloaders' have-maps to {@link FirstPass.seen}: a chunk is spread once reported. */
  reports?: boolean
  /** A chunk whose write ended this long ago (ms) and that nobody reported may be sent again. @default DEFAULT_FILES_STALL_TIMEOUT_MS */
  lostMs?: number
  now?: () => number
}

export class FirstPass {
  readonly #index = new Map<string, number>()
  readonly #sent: Bitmap
  readonly #seen: Bitmap
  /**
   * The stream each chunk went to, and when its write ended (while no downloader reported it; `at` is
   * unset while the write waits for room in the connection's buffers, which can take seconds).
   */
  readonly #sentTo = new Map<number, { s: QueuedWants; at?: number }>()
  readonly #streams = new Set<QueuedWants>()
  readonly #reports: boolean
  readonly #lostMs: number
  readonly #now: () => number

  constructor(leaves: readonly CID[], options: FirstPassOptions = {}) {
    for (const [i, cid] of leaves.entries())
      if (!this.#index.has(cid.toString())) this.#index.set(cid.toString(), i)
    this.#sent = new Bitmap(leaves.length)
    this.#seen = new Bitmap(leaves.length)
    this.#reports = options.reports === true
    this.#lostMs = options.lostMs ?? DEFAULT_FILES_STALL_TIMEOUT_MS
    this.#now = options.now ?? Date.now
  }

  /** Every chunk has been sent once. */
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
    // what went to a downloader that left before reporting it may be nowhere else: it is fresh again
    for (const [i, t] of this.#sentTo) {
      if (t.s !== s) continue
      this.#sentTo.delete(i)
      if (!this.#seen.get(i)) this.#sent.clear(i)
    }
  }

  /**
   * Whether the rule is on: at least two downloaders, and a chunk not yet spread (with reports: not yet
   * reported by a downloader; without: not yet sent, or still being written).
   */
  get active(): boolean {
    if (this.#streams.size < 2) return false
    if (this.#reports) return !this.#seen.all()
    if (!this.done) return true
    for (const s of this.#streams) if (s.sendingFresh === true) return true
    return false
  }

  /** A downloader's have-map for this file (`bitmap` bytes over the leaves, or `all`). */
  seen(have: { kind: 'none' | 'all' | 'bitmap'; bitmap: Uint8Array }): void {
    if (have.kind === 'none') return
    const theirs = have.kind === 'all' ? undefined : new Bitmap(this.#seen.size, have.bitmap)
    for (let i = 0; i < this.#seen.size; i++) {
      if (this.#seen.get(i)) continue
      if (theirs === undefined || theirs.get(i)) {
        this.#seen.set(i)
        this.#sent.set(i)
        this.#sentTo.delete(i)
      }
    }
  }

  /**
   * The chunks to ask this seed for (the HAVE answer while the rule is on), as have-map bytes: those not
   * yet sent, and (with reports) those sent `lostMs` ago that no downloader reported.
   */
  unsent(): Uint8Array {
    const out = Bitmap.full(this.#sent.size)
    for (let i = 0; i < this.#sent.size; i++) if (this.#sent.get(i) && !this.#lost(i)) out.clear(i)
    return out.bytes
  }

  /** The listener finished writing `cid` (admitted `fresh`): the chunk's `lostMs` starts now. */
  written(cid: CID): void {
    const idx = this.#index.get(cid.toString())
    const t = idx === undefined ? undefined : this.#sentTo.get(idx)
    if (t !== undefined && t.at === undefined) t.at = this.#now()
  }

  /** With reports: written `lostMs` ago or more and reported by nobody. */
  #lost(i: number): boolean {
    if (!this.#reports || this.#seen.get(i)) return false
    const t = this.#sentTo.get(i)
    return t?.at !== undefined && this.#now() - t.at >= this.#lostMs
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
      this.#sentTo.set(idx, { s: from })
      return 'fresh'
    }
    if (!this.active || !this.#streams.has(from)) return 'repeat'
    if (this.#reports) {
      // held by a downloader: fetch it there; on its way: wait for it (unless it seems lost)
      if (this.#seen.get(idx)) return false
      return this.#lost(idx) ? 'repeat' : false
    }
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

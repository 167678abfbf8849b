/**
 * Which chunk to ask which peer for, next: the swarm download's brain, runtime-neutral and free of I/O
 * so that unit tests drive it with simulated slow, dead and lying peers on a virtual clock.
 *
 * - have-maps: every peer's set of chunks (a complete seed holds all; partial seeds send bitmaps);
 * - rarest first: among the chunks a peer holds and nobody has been asked for, the one fewest peers hold;
 * - pipelining: each peer keeps `depth` requests queued, depth = its measured rate x `pipelineTargetMs`
 *   (bounded), so faster peers are asked for more and sooner;
 * - endgame: once every missing chunk has been asked for, idle peers duplicate the oldest outstanding
 *   requests (at most `endgameDuplicates` peers per chunk; the first verified answer wins);
 * - stalls: a peer that delivers nothing for `stallTimeoutMs` has its requests handed to others and earns
 *   a strike; at `maxStrikes` it is dropped as dead. A peer that sends one bad chunk is dropped at once.
 *
 * @example
 * ```ts
 * const s = new SwarmScheduler({ sizes: [1048576, 1048576, 4], now: () => Date.now() })
 * s.addPeer('a', 'all')
 * const idx = s.next('a') // 0..2, rarest first
 * s.received('a', idx, true)
 * ```
 */
import {
  DEFAULT_FILES_ENDGAME_DUPLICATES,
  DEFAULT_FILES_MAX_PIPELINE,
  DEFAULT_FILES_MAX_STRIKES,
  DEFAULT_FILES_MIN_PIPELINE,
  DEFAULT_FILES_PIPELINE_TARGET_MS,
  DEFAULT_FILES_STALL_TIMEOUT_MS,
} from '../../defaults.ts'
import { Bitmap } from './bitmap.ts'

/** Shortest span a rate sample covers (ms). */
const RATE_WINDOW_MS = 500

export interface SchedulerInit {
  /** Byte size of every chunk, in DAG order. */
  sizes: readonly number[]
  /** Chunks already verified on local storage (a resumed download): never requested. */
  local?: Bitmap
  now: () => number
  /** @default DEFAULT_FILES_MIN_PIPELINE */
  minPipeline?: number
  /** @default DEFAULT_FILES_MAX_PIPELINE */
  maxPipeline?: number
  /** @default DEFAULT_FILES_PIPELINE_TARGET_MS (ms) */
  pipelineTargetMs?: number
  /** @default DEFAULT_FILES_STALL_TIMEOUT_MS (ms) */
  stallTimeoutMs?: number
  /** @default DEFAULT_FILES_MAX_STRIKES */
  maxStrikes?: number
  /** @default DEFAULT_FILES_ENDGAME_DUPLICATES */
  endgameDuplicates?: number
  /** Random source for tie-breaks (tests pass a seeded one). @default Math.random */
  random?: () => number
}

export type DropReason = 'lying' | 'dead' | 'gone'

interface PeerState {
  have: Bitmap | 'all'
  inflight: Map<number, number>
  /** Measured delivery rate (bytes/ms), 0 until the first chunk. */
  rate: number
  lastProgressAt: number
  /** The rate window: since when (the peer busy all along), and the bytes delivered in it so far. */
  windowAt: number
  windowBytes: number
  strikes: number
  chunks: number
  bytes: number
}

export interface PeerStats {
  peer: string
  chunks: number
  bytes: number
  rateBytesPerMs: number
  inflight: number
}

/** Outcome of {@link SwarmScheduler.received}: whether the chunk was new, and who else to cancel. */
export interface Received {
  fresh: boolean
  cancel: string[]
}

export class SwarmScheduler {
  readonly #sizes: readonly number[]
  readonly #done: Bitmap
  readonly #pending = new Set<number>()
  readonly #inflight = new Map<number, Set<string>>()
  readonly #peers = new Map<string, PeerState>()
  readonly #dropped = new Map<string, DropReason>()
  /** What dropped peers delivered before they went (kept for the download's accounting). */
  readonly #retired = new Map<string, { chunks: number; bytes: number; rate: number }>()
  readonly #o: Required<Omit<SchedulerInit, 'sizes' | 'local'>>
  #avgChunk: number
  duplicates = 0

  constructor(init: SchedulerInit) {
    this.#sizes = init.sizes
    this.#done = init.local ?? new Bitmap(init.sizes.length)
    for (let i = 0; i < init.sizes.length; i++) if (!this.#done.get(i)) this.#pending.add(i)
    this.#avgChunk = Math.max(1, init.sizes.reduce((s, n) => s + n, 0) / Math.max(1, init.sizes.length))
    this.#o = {
      now: init.now,
      minPipeline: init.minPipeline ?? DEFAULT_FILES_MIN_PIPELINE,
      maxPipeline: init.maxPipeline ?? DEFAULT_FILES_MAX_PIPELINE,
      pipelineTargetMs: init.pipelineTargetMs ?? DEFAULT_FILES_PIPELINE_TARGET_MS,
      stallTimeoutMs: init.stallTimeoutMs ?? DEFAULT_FILES_STALL_TIMEOUT_MS,
      maxStrikes: init.maxStrikes ?? DEFAULT_FILES_MAX_STRIKES,
      endgameDuplicates: init.endgameDuplicates ?? DEFAULT_FILES_ENDGAME_DUPLICATES,
      random: init.random ?? Math.random,
    }
  }

  get complete(): boolean {
    return this.#pending.size === 0 && this.#inflight.size === 0
  }

  get doneMap(): Bitmap {
    return this.#done
  }

  remaining(): number {
    return this.#pending.size + this.#inflight.size
  }

  /** Adds a peer (or updates its have-map); a peer dropped as lying stays out, a dead one may come back. */
  addPeer(peer: string, have: Bitmap | 'all'): boolean {
    if (this.#dropped.get(peer) === 'lying') return false
    this.#dropped.delete(peer)
    const p = this.#peers.get(peer)
    if (p !== undefined) {
      p.have = have
      return true
    }
    const before = this.#retired.get(peer)
    this.#retired.delete(peer)
    this.#peers.set(peer, {
      have,
      inflight: new Map(),
      rate: before?.rate ?? 0,
      lastProgressAt: this.#o.now(),
      windowAt: this.#o.now(),
      windowBytes: 0,
      strikes: 0,
      chunks: before?.chunks ?? 0,
      bytes: before?.bytes ?? 0,
    })
    return true
  }

  hasPeer(peer: string): boolean {
    return this.#peers.has(peer)
  }

  peers(): string[] {
    return [...this.#peers.keys()]
  }

  /**
   * Peers in the order their pipelines should be filled: unmeasured ones first (they need a sample), then
   * fastest first. A chunk several peers hold then goes to the one that delivers it soonest: after a
   * seed's first pass to a crowd, the throttled seed again holds everything, and filled first it took
   * chunks the other downloaders would have sent in milliseconds.
   */
  peersFastestFirst(): string[] {
    const rate = (p: PeerState) => (p.rate === 0 ? Number.POSITIVE_INFINITY : p.rate)
    return [...this.#peers]
      .sort(([, a], [, b]) => (rate(b) > rate(a) ? 1 : rate(b) < rate(a) ? -1 : 0))
      .map(([peer]) => peer)
  }

  droppedAs(reason: DropReason): string[] {
    return [...this.#dropped].filter(([, r]) => r === reason).map(([p]) => p)
  }

  /** Removes a peer; its outstanding requests go back to the pending set. */
  dropPeer(peer: string, reason: DropReason): void {
    const p = this.#peers.get(peer)
    this.#dropped.set(peer, reason)
    if (p === undefined) return
    for (const idx of p.inflight.keys()) this.#release(idx, peer)
    this.#peers.delete(peer)
    if (p.chunks > 0) this.#retired.set(peer, { chunks: p.chunks, bytes: p.bytes, rate: p.rate })
  }

  /** Requests a peer should have queued now, from its measured rate. */
  depth(peer: string): number {
    const p = this.#peers.get(peer)
    if (p === undefined || p.rate === 0) return this.#o.minPipeline
    const want = Math.ceil((p.rate * this.#o.pipelineTargetMs) / this.#avgChunk)
    // once measured, a slow peer may drop to one request so the tail is not stuck behind its queue
    return Math.max(1, Math.min(this.#o.maxPipeline, want))
  }

  /** The next chunk to request from `peer`, or undefined (pipeline full, or nothing it holds is needed). */
  next(peer: string): number | undefined {
    const p = this.#peers.get(peer)
    if (p === undefined || p.inflight.size >= this.depth(peer)) return undefined
    const idx = this.#rarest(p) ?? this.#endgame(peer, p)
    if (idx === undefined) return undefined
    const askers = this.#inflight.get(idx) ?? new Set<string>()
    askers.add(peer)
    this.#inflight.set(idx, askers)
    this.#pending.delete(idx)
    if (p.inflight.size === 0) {
      // an idle peer's rate window restarts with its first request: idle time is not slowness
      p.lastProgressAt = this.#o.now()
      p.windowAt = p.lastProgressAt
      p.windowBytes = 0
    }
    p.inflight.set(idx, this.#o.now())
    return idx
  }

  /**
   * A peer answered chunk `idx`; `valid` says whether it hashed to its CID. A bad chunk drops the peer
   * at once (its other requests go elsewhere). `cancel` lists peers also asked for it (endgame).
   */
  received(peer: string, idx: number, valid: boolean): Received {
    const p = this.#peers.get(peer)
    if (!valid) {
      this.dropPeer(peer, 'lying')
      return { fresh: false, cancel: [] }
    }
    const now = this.#o.now()
    if (p !== undefined) {
      this.#sample(p, this.#sizes[idx]!, now)
      p.lastProgressAt = now
      p.strikes = 0
      p.inflight.delete(idx)
    }
    const askers = this.#inflight.get(idx)
    askers?.delete(peer)
    if (this.#done.get(idx)) {
      this.duplicates++
      return { fresh: false, cancel: [] }
    }
    this.#done.set(idx)
    this.#pending.delete(idx)
    this.#inflight.delete(idx)
    if (p !== undefined) {
      p.chunks++
      p.bytes += this.#sizes[idx]!
    }
    const cancel = [...(askers ?? [])]
    for (const other of cancel) this.#peers.get(other)?.inflight.delete(idx)
    return { fresh: true, cancel }
  }

  /** A peer said it does not hold `idx` (or the request failed): ask someone else; its have-map is corrected. */
  missing(peer: string, idx: number): void {
    const p = this.#peers.get(peer)
    if (p === undefined) return
    p.inflight.delete(idx)
    if (p.have === 'all') p.have = Bitmap.full(this.#sizes.length)
    p.have.clear(idx)
    this.#release(idx, peer)
  }

  /**
   * Peers that delivered nothing for the stall timeout: their requests go back to the pool and they earn
   * a strike; at `maxStrikes` they are dropped as dead. Returns the peers dropped.
   */
  checkStalls(): string[] {
    const now = this.#o.now()
    const dead: string[] = []
    for (const [peer, p] of this.#peers) {
      // a slow peer is not a stalled one: allow three of its own chunk times
      const limit = Math.max(this.#o.stallTimeoutMs, p.rate > 0 ? (3 * this.#avgChunk) / p.rate : 0)
      if (p.inflight.size === 0 || now - p.lastProgressAt < limit) continue
      p.strikes++
      p.lastProgressAt = now
      if (p.strikes >= this.#o.maxStrikes) {
        this.dropPeer(peer, 'dead')
        dead.push(peer)
        continue
      }
      for (const idx of [...p.inflight.keys()]) {
        p.inflight.delete(idx)
        this.#release(idx, peer)
      }
    }
    return dead
  }

  /** Every peer that delivered or is in use, dropped ones included (inflight 0). */
  stats(): PeerStats[] {
    const live = [...this.#peers].map(([peer, p]) => ({
      peer,
      chunks: p.chunks,
      bytes: p.bytes,
      rateBytesPerMs: p.rate,
      inflight: p.inflight.size,
    }))
    const gone = [...this.#retired].map(([peer, r]) => ({
      peer,
      chunks: r.chunks,
      bytes: r.bytes,
      rateBytesPerMs: r.rate,
      inflight: 0,
    }))
    return [...live, ...gone]
  }

  /** What the scheduler waits on (a stuck download's `files.state` event): a few chunks and every peer. */
  snapshot(): Record<string, unknown> {
    const now = this.#o.now()
    return {
      pending: [...this.#pending].slice(0, 8),
      inflight: [...this.#inflight].slice(0, 8).map(([idx, askers]) => [idx, [...askers].map(short)]),
      peers: [...this.#peers].map(([peer, p]) => ({
        peer: short(peer),
        have: p.have === 'all' ? 'all' : p.have.count(),
        inflight: [...p.inflight.keys()].slice(0, 8),
        idleMs: now - p.lastProgressAt,
        rate: Math.round(p.rate),
        strikes: p.strikes,
      })),
      dropped: [...this.#dropped].map(([peer, why]) => `${short(peer)}:${why}`),
    }
  }

  /**
   * Rate samples span at least {@link RATE_WINDOW_MS}: chunks that arrive together (queued in a buffer
   * along the path, released at once) count over the time they took to come, not the few ms between
   * them. A per-chunk sample read 1 MiB in 6 ms as 175 MB/s from a 1.25 MB/s seeder, and its pipeline
   * grew to the maximum while the other seeders idled.
   */
  #sample(p: PeerState, bytes: number, now: number): void {
    p.windowBytes += bytes
    const ms = now - p.windowAt
    if (ms < RATE_WINDOW_MS && p.rate > 0) return
    const sample = p.windowBytes / Math.max(1, ms)
    p.rate = p.rate === 0 ? sample : 0.7 * p.rate + 0.3 * sample
    p.windowAt = now
    p.windowBytes = 0
  }

  #holds(p: PeerState, idx: number): boolean {
    return p.have === 'all' || p.have.get(idx)
  }

  #rarest(p: PeerState): number | undefined {
    let best: number | undefined
    let bestCount = Number.POSITIVE_INFINITY
    let ties = 0
    for (const idx of this.#pending) {
      if (!this.#holds(p, idx)) continue
      let count = 0
      for (const q of this.#peers.values()) if (this.#holds(q, idx)) count++
      if (count < bestCount) {
        best = idx
        bestCount = count
        ties = 1
      } else if (count === bestCount && this.#o.random() * ++ties < 1) {
        best = idx
      }
    }
    return best
  }

  #endgame(peer: string, p: PeerState): number | undefined {
    if (this.#pending.size > 0) return undefined
    const now = this.#o.now()
    // this peer could deliver one more chunk by then (unknown rate: assume it could)
    const mine = p.rate > 0 ? now + ((p.inflight.size + 1) * this.#avgChunk) / p.rate : now
    let best: number | undefined
    let oldest = Number.POSITIVE_INFINITY
    for (const [idx, askers] of this.#inflight) {
      if (askers.has(peer) || askers.size >= this.#o.endgameDuplicates || !this.#holds(p, idx)) continue
      let started = Number.POSITIVE_INFINITY
      let due = Number.POSITIVE_INFINITY
      for (const a of askers) {
        const q = this.#peers.get(a)
        const at = q?.inflight.get(idx)
        if (q === undefined || at === undefined) continue
        started = Math.min(started, at)
        due = Math.min(due, this.#due(q, idx))
      }
      // duplicate only what the current asker will deliver later than this peer could: no waste
      if (due <= mine) continue
      if (started < oldest) {
        oldest = started
        best = idx
      }
    }
    return best
  }

  /** When `q` should deliver `idx`, from its rate and the requests queued before it (infinite if unknown). */
  #due(q: PeerState, idx: number): number {
    if (q.rate === 0) return Number.POSITIVE_INFINITY
    let ahead = 0
    for (const i of q.inflight.keys()) {
      ahead++
      if (i === idx) break
    }
    return q.lastProgressAt + (ahead * this.#avgChunk) / q.rate
  }

  #release(idx: number, peer: string): void {
    const askers = this.#inflight.get(idx)
    askers?.delete(peer)
    if (askers !== undefined && askers.size > 0) return
    this.#inflight.delete(idx)
    if (!this.#done.get(idx)) this.#pending.add(idx)
  }
}

/** The last six characters of a peer ID: enough to tell peers apart in a log line. */
export function short(peer: string): string {
  return peer.slice(-6)
}

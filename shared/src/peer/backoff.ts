/**
 * The one backoff of the peer: exponential with full jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"), so that many peers that lost the same relay at once do not all come back in
 * the same second. Used for relay reservations, bootstrap re-reads and path upgrades.
 *
 * @example
 * ```ts
 * const b = new Backoff(500, 30_000)
 * setTimeout(retry, b.next()) // 250-500 ms, then up to 1 s, 2 s, ... 30 s
 * b.reset()                   // after a success
 * ```
 */
import { DEFAULT_RECONNECT_MAX_MS, DEFAULT_RECONNECT_MIN_MS } from '../defaults.ts'

export class Backoff {
  #attempt = 0
  readonly minMs: number
  readonly maxMs: number

  readonly #random: () => number

  /** `random` in [0, 1) picks the jitter; tests pass `() => 1` for the ceiling. @default Math.random */
  constructor(minMs = DEFAULT_RECONNECT_MIN_MS, maxMs = DEFAULT_RECONNECT_MAX_MS, random = Math.random) {
    this.minMs = minMs
    this.maxMs = maxMs
    this.#random = random
  }

  /** Delay before the next attempt (ms), in [min/2, min(max, min * 2^n)]; grows with each call until `reset()`. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.#attempt)
    this.#attempt++
    return Math.round(this.minMs / 2 + this.#random() * (ceiling - this.minMs / 2))
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.#attempt
  }

  reset(): void {
    this.#attempt = 0
  }
}

/**
 * Token buckets keyed by peer ID: `rate` tokens per second up to `burst`. Used per author and per
 * forwarding neighbour by the pub/sub validator; idle buckets are forgotten so the map stays small.
 */
export class RateLimiter {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#rate = ratePerSecond
    this.#burst = burst
    this.#now = now
  }

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.#now()
    const b = this.#buckets.get(key) ?? { tokens: this.#burst, at: now }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate)
    b.at = now
    this.#buckets.set(key, b)
    if (this.#buckets.size > 4096) this.#sweep(now)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Forgets buckets that have refilled completely (they hold no information). */
  #sweep(now: number): void {
    const full = (this.#burst / this.#rate) * 1000
    for (const [k, b] of this.#buckets) if (now - b.at > full) this.#buckets.delete(k)
  }
}

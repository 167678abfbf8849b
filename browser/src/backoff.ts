/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): many
 * tabs that lost the same relay at once must not all come back in the same second.
 */
import { DEFAULT_RECONNECT_MAX_MS, DEFAULT_RECONNECT_MIN_MS } from '../../shared/src/defaults.ts'

export class Backoff {
  #attempt = 0
  readonly minMs: number
  readonly maxMs: number

  constructor(minMs = DEFAULT_RECONNECT_MIN_MS, maxMs = DEFAULT_RECONNECT_MAX_MS) {
    this.minMs = minMs
    this.maxMs = maxMs
  }

  /** Delay before the next attempt (ms); grows with each call until `reset()`. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.#attempt)
    this.#attempt++
    return Math.round(this.minMs / 2 + Math.random() * (ceiling - this.minMs / 2))
  }

  get attempts(): number {
    return this.#attempt
  }

  reset(): void {
    this.#attempt = 0
  }
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })
}

/** Polls `check` every 50 ms until it holds; rejects after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(50)
  }
}

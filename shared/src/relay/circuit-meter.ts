/**
 * Meters one relayed circuit (the hop stream from the dialling peer and the stop stream to the
 * reserved peer, which the stock relay pipes into each other) and enforces our quotas on it: bytes
 * (both directions summed) and duration. A chunk that would exceed the byte quota is not forwarded:
 * the circuit is cut first, so the receiver gets at most `maxBytes`.
 *
 * It also adds the backpressure the stock pipe lacks: when one side cannot take more, the other
 * side's reading is paused (yamux then stops granting window), and resumed on 'drain'.
 *
 * @example
 * ```ts
 * const circuit = meterCircuit(hop, stop, { maxBytes: 1 << 30, maxDurationMs: 3_600_000 }, {
 *   onBytes: (n) => { total += n },
 *   onEnd: (end) => console.log(end.reason, end.bytes),
 * })
 * ```
 */
import type { Stream } from '@libp2p/interface'
import { QuotaExceededError } from '../errors.ts'
import { type Chunk, interceptSend, readStatus } from '../libp2p-compat/stream.ts'

export type CircuitCutReason = 'circuit_bytes' | 'circuit_duration'

export interface CircuitLimits {
  /** Bytes the circuit may carry, both directions summed. */
  maxBytes: number
  /** Lifetime of the circuit (ms). */
  maxDurationMs: number
}

export interface CircuitEnd {
  bytes: number
  durationMs: number
  /** Set when the relay cut the circuit on a quota; absent when the peers closed it. */
  reason?: CircuitCutReason
}

export interface CircuitHooks {
  /** Called for every forwarded chunk with its size. */
  onBytes?: (bytes: number) => void
  /** Called once, when either stream closes or the circuit is cut. */
  onEnd: (end: CircuitEnd) => void
}

export interface MeteredCircuit {
  readonly bytes: number
  /** Cuts the circuit now (both streams reset), reporting `reason`. */
  cut: (reason: CircuitCutReason) => void
}

export function meterCircuit(
  a: Stream,
  b: Stream,
  limits: CircuitLimits,
  hooks: CircuitHooks,
): MeteredCircuit {
  const started = Date.now()
  let bytes = 0
  let ended = false
  let cutError: QuotaExceededError | undefined
  let reason: CircuitCutReason | undefined

  const end = () => {
    if (ended) return
    ended = true
    clearTimeout(timer)
    hooks.onEnd({ bytes, durationMs: Date.now() - started, ...(reason === undefined ? {} : { reason }) })
  }

  const cut = (why: CircuitCutReason) => {
    if (ended || cutError !== undefined) return
    reason = why
    cutError = new QuotaExceededError(
      why === 'circuit_bytes'
        ? `circuit exceeded ${limits.maxBytes} bytes`
        : `circuit exceeded ${limits.maxDurationMs} ms`,
    )
    a.abort(cutError)
    b.abort(cutError)
    end()
  }

  // Wrap `send` of `to`: everything the pipe writes to `to` was read from `from`.
  const meter = (to: Stream, from: Stream) => {
    interceptSend(to, (send) => (data: Chunk): boolean => {
      if (cutError !== undefined) throw cutError
      if (bytes + data.byteLength > limits.maxBytes) {
        cut('circuit_bytes')
        throw cutError
      }
      bytes += data.byteLength
      hooks.onBytes?.(data.byteLength)
      const ok = send(data)
      if (!ok) pauseUntilDrain(from, to)
      return ok
    })
  }
  meter(a, b)
  meter(b, a)

  const timer = setTimeout(() => cut('circuit_duration'), limits.maxDurationMs)
  a.addEventListener('close', end, { once: true })
  b.addEventListener('close', end, { once: true })
  if (a.status !== 'open' || b.status !== 'open') end()

  return {
    get bytes() {
      return bytes
    },
    cut,
  }
}

/** Stops reading `from` until `to` drains (yamux stops granting window to the sender meanwhile). */
function pauseUntilDrain(from: Stream, to: Stream): void {
  if (readStatus(from) !== 'readable') return
  from.pause()
  const resume = () => {
    to.removeEventListener('drain', resume)
    to.removeEventListener('close', resume)
    if (readStatus(from) === 'paused') from.resume()
  }
  to.addEventListener('drain', resume)
  to.addEventListener('close', resume)
}

/**
 * The circuit-relay-v2 client transport every peer uses, configured once: reservations complete within
 * a dial timeout, and every configured relay reserves at once (the store clears its queue whenever it
 * "has enough relays", dropping configured relays still waiting in it). `/http-path` shard addresses
 * pass its filters (shared/src/http-path.ts). The reservation keeper needs the constructed instance.
 *
 * @example
 * ```ts
 * const circuit = circuitTransport()
 * const node = await createLibp2p({ transports: [webSockets(), circuit.factory] })
 * new ReservationKeeper({ node, transport: circuit.transport(), ... })
 * ```
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { Transport } from '@libp2p/interface'
import { DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_RESERVATION_CONCURRENCY } from '../defaults.ts'
import { allowHttpPath } from '../http-path.ts'

export interface CircuitTransport {
  /** The transport factory to hand to createLibp2p. */
  factory: ReturnType<typeof circuitRelayTransport>
  /** The instance libp2p constructed from it (throws before createLibp2p ran). */
  transport: () => Transport
}

export function circuitTransport(): CircuitTransport {
  let built: Transport | undefined
  const factory = allowHttpPath(
    circuitRelayTransport({
      reservationCompletionTimeout: DEFAULT_DIAL_TIMEOUT_MS,
      reservationConcurrency: DEFAULT_RESERVATION_CONCURRENCY,
    }),
    (t) => {
      built = t
    },
  )
  return {
    factory,
    transport: () => {
      if (built === undefined) throw new Error('circuit relay transport was not constructed')
      return built
    },
  }
}

/**
 * Hooks into @libp2p/circuit-relay-v2's server instance (`CircuitRelayServer`, 4.x), which has no
 * public extension point for metering circuits or observing reservation decisions:
 * - `reservationStore.reserve` / `.get` / `.removeReservation` and `reservations`: count and log
 *   reservation decisions, free a disconnected peer's slot at once (the store keeps it until its TTL);
 * - `handleConnect`: refuse a circuit before the stock server sees it (we write the HopMessage
 *   status ourselves, hop-status.ts), and through a per-call view of the server whose `stopHop`
 *   captures the destination stream, hand both legs of an established circuit to the meter.
 * `relayServerInternals` checks the shape at attach time, so an incompatible version fails loudly
 * instead of relaying unmetered. Contract test: relay-server.test.ts (a real relay, real circuits).
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { encodeHopStatus } from './hop-status.ts'
import { unwrapStream } from './stream.ts'

interface Reservation {
  signal: AbortSignal & { clear?: () => void }
}

interface PbStreamLike {
  pb: (codec: { encode: (m: { status: number }) => Uint8Array; decode: () => never }) => {
    write: (m: { status: number }, options?: unknown) => Promise<void>
  }
}

interface ConnectArgs {
  stream: PbStreamLike
  request: unknown
  connection: Connection
}

interface StopHopArgs {
  connection: Connection
  request: unknown
}

/** The parts of CircuitRelayServer we hook. */
export interface RelayServerInternals {
  reservationStore: {
    reserve: (peer: PeerId, addr: unknown, limit?: unknown) => { status: unknown; expire?: number }
    removeReservation: (peer: PeerId) => void
    get: (peer: PeerId) => Reservation | undefined
  }
  reservations: { size: number; keys: () => Iterable<PeerId> }
  handleConnect: (args: ConnectArgs, options: unknown) => Promise<void>
  stopHop: (args: StopHopArgs, options: unknown) => Promise<Stream | undefined>
}

/** The server's protons enum values are strings ('OK'); accept the numeric wire value as well. */
export function isOkStatus(status: unknown): boolean {
  return status === 'OK' || status === 100
}

/** The server instance (`node.services.relay`) as its internals, or a loud error. */
export function relayServerInternals(service: unknown): RelayServerInternals {
  const server = service as Partial<RelayServerInternals> | undefined
  const store = server?.reservationStore
  if (
    typeof server?.handleConnect !== 'function' ||
    typeof server.stopHop !== 'function' ||
    typeof store?.reserve !== 'function' ||
    typeof store.get !== 'function' ||
    typeof store.removeReservation !== 'function' ||
    server.reservations === undefined
  ) {
    throw new Error(
      'unsupported @libp2p/circuit-relay-v2 server: expected handleConnect, stopHop, reservationStore',
    )
  }
  return server as RelayServerInternals
}

/** Calls `after(peer, existed, ok)` after every reservation decision of the stock store. */
export function hookReserve(
  server: RelayServerInternals,
  after: (peer: PeerId, existed: boolean, ok: boolean) => void,
): void {
  const store = server.reservationStore
  const reserve = store.reserve.bind(store)
  store.reserve = (peer, addr, limit) => {
    const existed = store.get(peer) !== undefined
    const result = reserve(peer, addr, limit)
    after(peer, existed, isOkStatus(result.status))
    return result
  }
}

/** Frees `peer`'s reservation now (stopping its TTL timer); false if it held none. */
export function freeReservation(server: RelayServerInternals, peer: PeerId): boolean {
  const reservation = server.reservationStore.get(peer)
  if (reservation === undefined) return false
  // stop the old TTL timer: it would otherwise delete a later reservation of the same peer
  reservation.signal.clear?.()
  server.reservationStore.removeReservation(peer)
  return true
}

export interface ConnectHook {
  /** A status code to refuse the circuit with (written as a HopMessage), or undefined to go on. */
  admit: (src: string) => number | undefined
  /** Circuits between admission and establishment (+1 / -1). */
  pending: (delta: 1 | -1) => void
  /** Both legs of an established circuit: hop (from the dialler) and stop (to the reserved peer). */
  opened: (hop: Stream, stop: Stream, src: string, dst: string) => void
  onError: (context: string, err: unknown) => void
}

export function hookConnect(server: RelayServerInternals, hook: ConnectHook): void {
  const handleConnect = server.handleConnect
  const stopHop = server.stopHop
  server.handleConnect = async (args, options) => {
    const src = args.connection.remotePeer.toString()
    const refusal = hook.admit(src)
    if (refusal !== undefined) {
      try {
        const codec = {
          encode: (m: { status: number }) => encodeHopStatus(m.status),
          decode: (): never => {
            throw new Error('hop status codec is write-only')
          },
        }
        await args.stream.pb(codec).write({ status: refusal }, options)
      } catch (err) {
        hook.onError('circuit refusal status write', err)
      }
      return
    }
    let dst: { stream: Stream; peer: string } | undefined
    // a per-call view of the server whose stopHop reports the destination stream of this circuit
    const view = Object.create(server, {
      stopHop: {
        value: async (a: StopHopArgs, o: unknown) => {
          const stream = await stopHop.call(server, a, o)
          if (stream !== undefined) dst = { stream, peer: a.connection.remotePeer.toString() }
          return stream
        },
      },
    }) as RelayServerInternals
    hook.pending(1)
    try {
      await handleConnect.call(view, args, options)
    } catch (err) {
      dst?.stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    } finally {
      hook.pending(-1)
    }
    if (dst !== undefined) hook.opened(unwrapStream(args.stream), dst.stream, src, dst.peer)
  }
}

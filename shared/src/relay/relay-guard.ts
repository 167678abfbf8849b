/**
 * Our quotas on top of the stock circuit-relay-v2 server (which runs with `applyDefaultLimit: false`,
 * so relayed connections are not "limited"): bytes and duration per circuit, concurrent circuits,
 * reservation accounting, freeing reservations on disconnect, private-mode gating, counters and one
 * event per decision. Runtime-neutral: the edge Durable Object and `edgeswarm node --relay` share it.
 *
 * It hooks three places of the server instance (checked at attach time, so an incompatible
 * circuit-relay-v2 version fails loudly instead of silently relaying unmetered):
 * - `reservationStore.reserve`: logs and counts reservation decisions;
 * - `handleConnect`: refuses circuits past `maxCircuits` (RESOURCE_LIMIT_EXCEEDED) and, through a
 *   per-call view of the server whose `stopHop` captures the destination stream, meters each
 *   established circuit (`circuit-meter.ts`);
 * - the connection gater (`guard.gater`, passed to createLibp2p): PERMISSION_DENIED for peers that
 *   have not authenticated in private mode.
 *
 * @example
 * ```ts
 * const guard = new RelayGuard({ config, onEvent: (e) => console.log(JSON.stringify(e)) })
 * const node = await createLibp2p({ connectionGater: guard.gater, services: { relay: circuitRelayServer(relayServerInit(config)) } })
 * guard.attach(node, node.services.relay)
 * ```
 */
import type { Connection, ConnectionGater, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { RelayConfig } from '../config.ts'
import { type MeteredCircuit, meterCircuit } from './circuit-meter.ts'
import type { RelayEvent, RelayEventSink, RelayRefusalReason } from './events.ts'

/** circuit-relay-v2 wire status codes we send (libp2p relay v2 spec). */
const Status = { RESOURCE_LIMIT_EXCEEDED: 201 } as const

/** The server's protons enum values are strings ('OK'); accept the numeric wire value as well. */
function isOk(status: unknown): boolean {
  return status === 'OK' || status === 100
}

export interface RelayGuardInit {
  config: RelayConfig
  onEvent: RelayEventSink
  onError: (context: string, err: unknown) => void
  /** Private mode: decides whether a peer proved the network credential. */
  auth?: { isAuthorized: (peer: PeerId) => Promise<boolean> }
}

export interface ActiveCircuit {
  src: string
  dst: string
  openedAt: number
  meter: MeteredCircuit
}

interface Reservation {
  signal: AbortSignal & { clear?: () => void }
}

interface PbStreamLike {
  unwrap: () => unknown
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

/** The parts of @libp2p/circuit-relay-v2 4.x's CircuitRelayServer the guard hooks into. */
interface RelayServerInternals {
  reservationStore: {
    reserve: (peer: PeerId, addr: unknown, limit?: unknown) => { status: unknown; expire?: number }
    removeReservation: (peer: PeerId) => void
    get: (peer: PeerId) => Reservation | undefined
  }
  reservations: { size: number; keys: () => Iterable<PeerId> }
  handleConnect: (args: ConnectArgs, options: unknown) => Promise<void>
  stopHop: (args: StopHopArgs, options: unknown) => Promise<Stream | undefined>
}

/** Encodes `HopMessage { type: STATUS, status }` (proto3: field 1 varint = 2, field 5 varint). */
const hopStatusCodec = {
  encode: (m: { status: number }): Uint8Array => Uint8Array.of(0x08, 0x02, 0x28, ...varint(m.status)),
  decode: (): never => {
    throw new Error('hop status codec is write-only')
  },
}

function varint(n: number): number[] {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return out
}

function unwrapAll(s: unknown): Stream {
  let cur = s as { unwrap?: () => unknown }
  while (typeof cur.unwrap === 'function' && (cur as { send?: unknown }).send === undefined) {
    cur = cur.unwrap() as { unwrap?: () => unknown }
  }
  return cur as unknown as Stream
}

export class RelayGuard {
  readonly #init: RelayGuardInit
  readonly refusals: Partial<Record<RelayRefusalReason, number>> = {}
  readonly circuits = new Set<ActiveCircuit>()
  circuitsTotal = 0
  bytesRelayed = 0
  #pendingCircuits = 0
  #server?: RelayServerInternals

  /** Hooks for createLibp2p's `connectionGater` (merge with your own). */
  readonly gater: Pick<ConnectionGater, 'denyInboundRelayReservation' | 'denyOutboundRelayedConnection'>

  constructor(init: RelayGuardInit) {
    this.#init = init
    this.gater = {
      denyInboundRelayReservation: async (peer) => {
        if (await this.#authorized(peer)) return false
        this.refuse('unauthorized', { event: 'reservation', result: 'refused', peer: peer.toString() })
        return true
      },
      denyOutboundRelayedConnection: async (src, dst) => {
        if (await this.#authorized(src)) return false
        this.refuse('unauthorized', {
          event: 'circuit',
          result: 'refused',
          src: src.toString(),
          dst: dst.toString(),
        })
        return true
      },
    }
  }

  /** Counts a refusal under `reason` and emits its event (with `reason` set). */
  refuse(reason: RelayRefusalReason, event: RelayEvent): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1
    this.#init.onEvent({ ...event, reason } as RelayEvent)
  }

  get reservations(): number {
    return this.#server?.reservations.size ?? 0
  }

  /** Peers holding a reservation now. */
  reservedPeers(): PeerId[] {
    return this.#server === undefined ? [] : [...this.#server.reservations.keys()]
  }

  /** Installs the hooks on a started node and its circuitRelayServer service instance. */
  attach(node: Libp2p, relayService: unknown): void {
    const server = relayService as RelayServerInternals
    const store = server?.reservationStore
    if (
      typeof server?.handleConnect !== 'function' ||
      typeof server.stopHop !== 'function' ||
      typeof store?.reserve !== 'function' ||
      typeof store.removeReservation !== 'function'
    ) {
      throw new Error(
        'unsupported @libp2p/circuit-relay-v2 server: expected handleConnect, stopHop, reservationStore',
      )
    }
    this.#server = server
    this.#hookReservations(server)
    this.#hookConnect(server)
    node.addEventListener('peer:disconnect', (evt) => this.#free(evt.detail))
  }

  async #authorized(peer: PeerId): Promise<boolean> {
    return this.#init.auth === undefined ? true : this.#init.auth.isAuthorized(peer)
  }

  #hookReservations(server: RelayServerInternals): void {
    const store = server.reservationStore
    const reserve = store.reserve.bind(store)
    store.reserve = (peer, addr, limit) => {
      const existed = store.get(peer) !== undefined
      const result = reserve(peer, addr, limit)
      if (isOk(result.status)) {
        this.#init.onEvent({
          event: 'reservation',
          result: existed ? 'refreshed' : 'accepted',
          peer: peer.toString(),
        })
        // a new reservation's TTL signal (reset on refresh, cleared when we free it on disconnect)
        if (!existed) {
          store
            .get(peer)
            ?.signal.addEventListener(
              'abort',
              () => this.#init.onEvent({ event: 'reservation', result: 'expired', peer: peer.toString() }),
              { once: true },
            )
        }
      } else {
        this.refuse('reservation_limit', { event: 'reservation', result: 'refused', peer: peer.toString() })
      }
      return result
    }
  }

  /** A disconnected peer cannot be reached through us: free its slot now rather than at TTL. */
  #free(peer: PeerId): void {
    const server = this.#server
    const reservation = server?.reservationStore.get(peer)
    if (server === undefined || reservation === undefined) return
    // stop the old TTL timer: it would otherwise delete a later reservation of the same peer
    reservation.signal.clear?.()
    server.reservationStore.removeReservation(peer)
    this.#init.onEvent({
      event: 'reservation',
      result: 'freed',
      peer: peer.toString(),
      reason: 'disconnected',
    })
  }

  #hookConnect(server: RelayServerInternals): void {
    const handleConnect = server.handleConnect
    const stopHop = server.stopHop
    server.handleConnect = async (args, options) => {
      const src = args.connection.remotePeer.toString()
      if (this.circuits.size + this.#pendingCircuits >= this.#init.config.maxCircuits) {
        this.refuse('circuit_limit', { event: 'circuit', result: 'refused', src })
        try {
          await args.stream.pb(hopStatusCodec).write({ status: Status.RESOURCE_LIMIT_EXCEEDED }, options)
        } catch (err) {
          this.#init.onError('circuit limit status write', err)
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
      this.#pendingCircuits++
      try {
        await handleConnect.call(view, args, options)
      } catch (err) {
        dst?.stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      } finally {
        this.#pendingCircuits--
      }
      if (dst !== undefined) this.#open(unwrapAll(args.stream), dst.stream, src, dst.peer)
    }
  }

  #open(hop: Stream, stop: Stream, src: string, dst: string): void {
    const { maxCircuitBytes, maxCircuitDurationSeconds } = this.#init.config
    const circuit = { src, dst, openedAt: Date.now() } as ActiveCircuit
    this.circuitsTotal++
    this.circuits.add(circuit)
    this.#init.onEvent({ event: 'circuit', result: 'opened', src, dst })
    circuit.meter = meterCircuit(
      hop,
      stop,
      { maxBytes: maxCircuitBytes, maxDurationMs: maxCircuitDurationSeconds * 1000 },
      {
        onBytes: (n) => {
          this.bytesRelayed += n
        },
        onEnd: (end) => {
          this.circuits.delete(circuit)
          const fields = { src, dst, bytes: end.bytes, durationMs: end.durationMs }
          if (end.reason === undefined) this.#init.onEvent({ event: 'circuit', result: 'closed', ...fields })
          else this.refuse(end.reason, { event: 'circuit', result: 'cut', ...fields })
        },
      },
    )
  }
}

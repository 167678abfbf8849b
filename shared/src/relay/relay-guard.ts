/**
 * Our quotas on top of the stock circuit-relay-v2 server (which runs with `applyDefaultLimit: false`,
 * so relayed connections are not "limited"): bytes and duration per circuit, concurrent circuits,
 * reservation accounting, freeing reservations on disconnect, private-mode gating, counters and one
 * event per decision. Runtime-neutral: the edge Durable Object and `edgeswarm node --relay` share it.
 *
 * It hooks three places of the server instance, through shared/src/libp2p-compat/relay-server.ts
 * (checked at attach time, so an incompatible circuit-relay-v2 version fails loudly instead of
 * silently relaying unmetered):
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
import type { ConnectionGater, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { RelayConfig } from '../config.ts'
import { HopStatus } from '../libp2p-compat/hop-status.ts'
import {
  freeReservation,
  hookConnect,
  hookReserve,
  type RelayServerInternals,
  relayServerInternals,
} from '../libp2p-compat/relay-server.ts'
import { type MeteredCircuit, meterCircuit } from './circuit-meter.ts'
import type { RelayEvent, RelayEventSink, RelayRefusalReason } from './events.ts'

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
    const server = relayServerInternals(relayService)
    this.#server = server
    this.#hookReservations(server)
    this.#hookConnect(server)
    node.addEventListener('peer:disconnect', (evt) => this.#free(evt.detail))
  }

  async #authorized(peer: PeerId): Promise<boolean> {
    return this.#init.auth === undefined ? true : this.#init.auth.isAuthorized(peer)
  }

  #hookReservations(server: RelayServerInternals): void {
    hookReserve(server, (peer, existed, ok) => {
      if (!ok) {
        this.refuse('reservation_limit', { event: 'reservation', result: 'refused', peer: peer.toString() })
        return
      }
      this.#init.onEvent({
        event: 'reservation',
        result: existed ? 'refreshed' : 'accepted',
        peer: peer.toString(),
      })
      // a new reservation's TTL signal (reset on refresh, cleared when we free it on disconnect)
      if (!existed) {
        server.reservationStore
          .get(peer)
          ?.signal.addEventListener(
            'abort',
            () => this.#init.onEvent({ event: 'reservation', result: 'expired', peer: peer.toString() }),
            { once: true },
          )
      }
    })
  }

  /** A disconnected peer cannot be reached through us: free its slot now rather than at TTL. */
  #free(peer: PeerId): void {
    if (this.#server === undefined || !freeReservation(this.#server, peer)) return
    this.#init.onEvent({
      event: 'reservation',
      result: 'freed',
      peer: peer.toString(),
      reason: 'disconnected',
    })
  }

  #hookConnect(server: RelayServerInternals): void {
    hookConnect(server, {
      admit: (src) => {
        if (this.circuits.size + this.#pendingCircuits < this.#init.config.maxCircuits) return undefined
        this.refuse('circuit_limit', { event: 'circuit', result: 'refused', src })
        return HopStatus.RESOURCE_LIMIT_EXCEEDED
      },
      pending: (delta) => {
        this.#pendingCircuits += delta
      },
      opened: (hop, stop, src, dst) => this.#open(hop, stop, src, dst),
      onError: this.#init.onError,
    })
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

/**
 * `--relay`: this node offers circuit-relay-v2 hop (as the edge shards do, same quotas and meter from
 * shared/src/relay) — but only while it has proven public reachability. Until then, and whenever it
 * falls back to `nat`/`unknown`, the hop protocol is not advertised (identify push tells connected
 * peers, so the edge lists us as a super-peer only while we are public) and reservation requests are
 * refused (a relay nobody can dial is useless).
 */
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, Libp2p, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import { importNetworkKey } from '#shared/auth.ts'
import { type RelayConfig, resolveRelayConfig } from '#shared/config.ts'
import { RELAY_HOP_PROTOCOL } from '#shared/constants.ts'
import { toError } from '#shared/errors.ts'
import { registrarOf } from '#shared/libp2p-compat/components.ts'
import { RelayAuthGate } from '#shared/relay/auth-gate.ts'
import { RelayGuard } from '#shared/relay/relay-guard.ts'
import { relayServerInit } from '#shared/relay/relay-options.ts'
import type { EventSink } from '../events.ts'

export interface SuperPeerInit {
  events: EventSink
  networkKey?: string
  /** Whether we are publicly reachable right now. */
  isPublic: () => boolean
  config?: RelayConfig
}

export class SuperPeer {
  readonly config: RelayConfig
  readonly guard: RelayGuard
  readonly #auth?: RelayAuthGate
  readonly #init: SuperPeerInit
  #announced = false
  #node?: Libp2p
  /** The relay server's hop handler, kept while unregistered (not public). */
  #hop?: { handler: StreamHandler; options: StreamHandlerOptions }
  #advertised = true
  #syncing: Promise<void> = Promise.resolve()

  private constructor(init: SuperPeerInit, config: RelayConfig, guard: RelayGuard, auth?: RelayAuthGate) {
    this.#init = init
    this.config = config
    this.guard = guard
    if (auth !== undefined) this.#auth = auth
  }

  static async create(init: SuperPeerInit): Promise<SuperPeer> {
    const config = init.config ?? resolveRelayConfig({})
    const onEvent = ({ event, ...fields }: { event: string }) =>
      init.events(`relay.${event}`, fields, 'debug')
    const onError = (context: string, err: unknown) =>
      init.events('relay.error', { context, error: String(err) }, 'warn')
    // private mode: a peer proves the network key when it first asks for a reservation or a circuit
    // (verdict cached until it disconnects); never challenges nor hangs up on the connections we
    // opened ourselves, such as our own links to the edge shards
    const auth =
      init.networkKey === undefined
        ? undefined
        : new RelayAuthGate({
            key: await importNetworkKey(init.networkKey),
            mode: 'on-demand',
            graceMs: config.authGraceSeconds * 1000,
            onEvent,
            onError,
          })
    const guard = new RelayGuard({ config, onEvent, onError, ...(auth === undefined ? {} : { auth }) })
    return new SuperPeer(init, config, guard, auth)
  }

  service() {
    return circuitRelayServer(relayServerInit(this.config))
  }

  /** Gater hooks: our quotas/auth, plus "refuse reservations while not publicly reachable". */
  gater(): Pick<ConnectionGater, 'denyInboundRelayReservation' | 'denyOutboundRelayedConnection'> {
    return {
      denyInboundRelayReservation: async (peer) => {
        if (!this.#init.isPublic()) {
          this.#init.events(
            'relay.reservation',
            { result: 'refused', peer: peer.toString(), reason: 'not_public' },
            'debug',
          )
          return true
        }
        return (await this.guard.gater.denyInboundRelayReservation?.(peer)) ?? false
      },
      denyOutboundRelayedConnection: async (src, dst) =>
        (await this.guard.gater.denyOutboundRelayedConnection?.(src, dst)) ?? false,
    }
  }

  /** Hooks into the node; resolves once hop is (un)registered to match our reachability. */
  attach(node: Libp2p, service: unknown): Promise<void> {
    this.guard.attach(node, service)
    this.#auth?.attach(node)
    this.#node = node
    this.#hop = registrarOf(node).getHandler(RELAY_HOP_PROTOCOL)
    return this.#syncHop()
  }

  /** Called when reachability changes: (un)advertises hop, and announces once that it is live. */
  onReachability(isPublic: boolean): void {
    void this.#syncHop()
    if (isPublic && !this.#announced) {
      this.#announced = true
      this.#init.events('relay.enabled', { maxReservations: this.config.maxReservations })
    }
  }

  /** Registers the hop handler while we are public, unregisters it otherwise (serialised). */
  #syncHop(): Promise<void> {
    this.#syncing = this.#syncing.then(async () => {
      const node = this.#node
      const hop = this.#hop
      const want = this.#init.isPublic()
      if (node === undefined || hop === undefined || want === this.#advertised) return
      try {
        if (want) await node.handle(RELAY_HOP_PROTOCOL, hop.handler, hop.options)
        else await node.unhandle(RELAY_HOP_PROTOCOL)
        this.#advertised = want
        this.#init.events('relay.hop', { advertised: want })
      } catch (err) {
        this.#init.events('relay.error', { context: 'hop handler', error: toError(err).message }, 'warn')
      }
    })
    return this.#syncing
  }

  stats() {
    return {
      enabled: this.#init.isPublic(),
      reservations: this.guard.reservations,
      circuits: this.guard.circuits.size,
      circuitsTotal: this.guard.circuitsTotal,
      bytesRelayed: this.guard.bytesRelayed,
      refusals: { ...this.guard.refusals },
    }
  }
}

/**
 * `--relay`: this node offers circuit-relay-v2 hop (as the edge shards do, same quotas and meter from
 * shared/src/relay) — but only while it has proven public reachability. Until then, and whenever it
 * falls back to `nat`/`unknown`, reservation requests are refused (a relay nobody can dial is useless).
 */
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, Libp2p, PeerId } from '@libp2p/interface'
import { AuthStatus, challengePeer, importNetworkKey, type NetworkKey } from '../../../shared/src/auth.ts'
import { type RelayConfig, resolveRelayConfig } from '../../../shared/src/config.ts'
import { AUTH_PROTOCOL } from '../../../shared/src/constants.ts'
import { RelayGuard } from '../../../shared/src/relay/relay-guard.ts'
import { relayServerInit } from '../../../shared/src/relay/relay-options.ts'
import type { EventSink } from '../events.ts'
import { isRelayed } from '../path/classify.ts'

export interface SuperPeerInit {
  events: EventSink
  networkKey?: string
  /** Whether we are publicly reachable right now. */
  isPublic: () => boolean
  config?: RelayConfig
}

/**
 * Private mode for a home relay: a peer proves the network key (`/edgeswarm/auth/1.0.0`, challenged
 * by us) when it first asks for a reservation or a circuit; the verdict is cached until it disconnects.
 * Unlike the edge's RelayAuthGate this never challenges (nor hangs up on) connections we opened
 * ourselves, such as our own links to the edge shards.
 */
class OnDemandAuth {
  readonly #key: NetworkKey
  readonly #verdicts = new Map<string, Promise<boolean>>()
  readonly #events: EventSink
  #node?: Libp2p

  constructor(key: NetworkKey, events: EventSink) {
    this.#key = key
    this.#events = events
  }

  attach(node: Libp2p): void {
    this.#node = node
    node.addEventListener('peer:disconnect', (evt) => this.#verdicts.delete(evt.detail.toString()))
  }

  isAuthorized(peer: PeerId): Promise<boolean> {
    const key = peer.toString()
    let verdict = this.#verdicts.get(key)
    if (verdict === undefined) {
      verdict = this.#challenge(peer)
      this.#verdicts.set(key, verdict)
    }
    return verdict
  }

  async #challenge(peer: PeerId): Promise<boolean> {
    const node = this.#node
    const conn = node?.getConnections(peer).find((c) => c.status === 'open' && !isRelayed(c.remoteAddr))
    if (node === undefined || conn === undefined) return false
    let status: number = AuthStatus.MALFORMED
    try {
      const signal = AbortSignal.timeout(10_000)
      const stream = await conn.newStream(AUTH_PROTOCOL, { signal })
      status = await challengePeer(stream, { key: this.#key, self: node.peerId, remote: peer, signal })
    } catch {
      // the peer does not speak the protocol, closed, or timed out: not authenticated
    }
    const ok = status === AuthStatus.OK
    this.#events('relay.auth', { peer: peer.toString(), result: ok ? 'granted' : 'denied', status }, 'debug')
    return ok
  }
}

export class SuperPeer {
  readonly config: RelayConfig
  readonly guard: RelayGuard
  readonly #auth?: OnDemandAuth
  readonly #init: SuperPeerInit
  #announced = false

  private constructor(init: SuperPeerInit, config: RelayConfig, guard: RelayGuard, auth?: OnDemandAuth) {
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
    const auth =
      init.networkKey === undefined
        ? undefined
        : new OnDemandAuth(await importNetworkKey(init.networkKey), init.events)
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

  attach(node: Libp2p, service: unknown): void {
    this.guard.attach(node, service)
    this.#auth?.attach(node)
  }

  /** Called when reachability changes: announces once that the hop is live. */
  onReachability(isPublic: boolean): void {
    if (isPublic && !this.#announced) {
      this.#announced = true
      this.#init.events('relay.enabled', { maxReservations: this.config.maxReservations })
    }
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

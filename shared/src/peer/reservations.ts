/**
 * Keeps circuit-relay-v2 reservations on `want` relays (two shards by default, so losing one relay does
 * not make the peer unreachable), all at once at start, re-reserving with the one jittered backoff when
 * a relay drops or refuses. A second keeper (`kind: 'super-peer'`) holds one on a home super-peer.
 *
 * Mechanics (circuit-relay-v2 4.x, hooks in shared/src/libp2p-compat/): the first reservation on a relay goes
 * through `transportManager.listen(['/p2p/<relay>/p2p-circuit'])`, which creates a circuit listener
 * bound to that relay (its addresses feed the address manager and the `/webrtc` listener). After a
 * loss, the same listener is refreshed by dialling the relay and calling the transport's
 * `reservationStore.addRelay(relay, 'configured')`: the listener re-applies its addresses when a
 * reservation of "its" relay is created. We dial first ourselves: the listener's own dial goes through
 * multiaddr-matcher, which rejects the `/http-path/` addresses of shards other than 0.
 */
import type { Libp2p, PeerId, Transport } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import pTimeout from 'p-timeout'
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_RECONNECT_MIN_MS,
  DEFAULT_RESERVATION_STALE_AFTER_FAILURES,
  DEFAULT_RESERVATION_TIMEOUT_MS,
} from '../defaults.ts'
import { toError } from '../errors.ts'
import { transportManagerOf } from '../libp2p-compat/components.ts'
import {
  circuitListenerFor,
  type ReservationStoreLike,
  reservationStoreOf,
} from '../libp2p-compat/reservation-store.ts'
import { Backoff } from './backoff.ts'
import type { PeerEvents } from './events.ts'

/** A relay to reserve on: an edge shard (with its `shard` name) or a home super-peer (none). */
export interface KeptRelay {
  shard?: string
  peerId: string
  addrs: string[]
}

type ShardState = 'idle' | 'reserving' | 'reserved' | 'refused' | 'unreachable'

interface Shard {
  relay: KeptRelay
  peerId: PeerId
  state: ShardState
  backoff: Backoff
  reason?: string
  retryAt?: number
  timer?: ReturnType<typeof setTimeout>
  since?: number
  reservedAfterMs?: number
}

export type RelayKind = 'shard' | 'super-peer'

export interface ReservationInfo {
  /** An edge shard, or a home node that offers hop (bootstrap `superPeers`). */
  kind: RelayKind
  /** Shard name (kind `shard` only). */
  shard?: string
  relay: string
  /** Circuit addresses others dial us on through this relay. */
  addrs: string[]
  sinceMs: number
}

/** A relay as the page shows it: every known one, with its state and, when failing, why and when next. */
export interface RelayStatus {
  shard: string
  peerId: string
  addrs: string[]
  /** We keep (or try to keep) a reservation here. */
  wanted: boolean
  state: 'idle' | 'connecting' | 'reserved' | 'refused' | 'unreachable'
  reason?: string
  /** When the next attempt is due (epoch ms). */
  retryAt?: number
  /** Time from process (or page) start to this reservation (ms). */
  reservedAfterMs?: number
}

export interface ReservationKeeperInit {
  node: Libp2p
  /** The circuitRelayTransport instance (captured at construction). */
  transport: Transport
  relays: KeptRelay[]
  want: number
  events: PeerEvents
  /**
   * What the relays are: edge shards (events and listings carry `shard`), or home super-peers
   * (`kind: 'super-peer'`, their `shard` field is ignored).
   * @default 'shard'
   */
  kind?: RelayKind
  /** @default DEFAULT_RECONNECT_MIN_MS */
  minBackoffMs?: number
  /** @default DEFAULT_RECONNECT_MAX_MS */
  maxBackoffMs?: number
  /** Jitter source in [0, 1) (tests pass `() => 1`). @default Math.random */
  random?: () => number
  /**
   * Called after a relay failed `staleAfterFailures` times in a row: the edge may have new relays (a
   * redeploy without stable shard keys). Answer with a fresh relay list, or undefined to keep ours.
   */
  refresh?: () => Promise<KeptRelay[] | undefined>
  /** @default DEFAULT_RESERVATION_STALE_AFTER_FAILURES */
  staleAfterFailures?: number
}

export class ReservationKeeper {
  readonly #init: ReservationKeeperInit
  readonly #store: ReservationStoreLike
  #shards: Shard[]
  #refreshing = false
  #stopped = false
  #firstRound: Promise<void> = Promise.resolve()

  constructor(init: ReservationKeeperInit) {
    this.#init = init
    this.#store = reservationStoreOf(init.transport)
    // spread peers over shards: start at a position derived from our peer ID
    const offset = [...init.node.peerId.toString()].reduce((a, c) => a + c.charCodeAt(0), 0)
    const sorted = this.#kind === 'shard' ? [...init.relays].sort(byShard) : [...init.relays]
    this.#shards = sorted.map((_, i) => this.#newShard(sorted[(i + offset) % sorted.length]!))
    this.#store.addEventListener('relay:removed', (evt) => {
      const relay = (evt as CustomEvent<{ relay: PeerId }>).detail.relay
      this.#onLost(relay, 'relay connection closed')
    })
  }

  /** Replaces the relay list: keeps relays whose peer ID is unchanged, adds new ones, drops the rest. */
  update(relays: KeptRelay[]): void {
    const next = new Set(relays.map((r) => r.peerId))
    for (const s of this.#shards) {
      if (!next.has(s.relay.peerId) && s.timer !== undefined) clearTimeout(s.timer)
    }
    const kept = this.#shards.filter((s) => next.has(s.relay.peerId))
    for (const relay of relays) {
      const old = kept.find((s) => s.relay.peerId === relay.peerId)
      if (old !== undefined) old.relay = relay
      else kept.push(this.#newShard(relay))
    }
    this.#shards = kept
    this.#fill()
  }

  /** Shard name of a relay peer ID (undefined for super-peers and unknown relays). */
  shardOf(relayPeerId: string): string | undefined {
    if (this.#kind !== 'shard') return undefined
    return this.#shards.find((s) => s.relay.peerId === relayPeerId)?.relay.shard
  }

  /** True when `relayPeerId` is one of our relays. */
  has(relayPeerId: string): boolean {
    return this.#shards.some((s) => s.relay.peerId === relayPeerId)
  }

  relays(): KeptRelay[] {
    return this.#shards.map((s) => s.relay)
  }

  start(): void {
    this.#firstRound = Promise.allSettled(this.#fill()).then(() => {})
  }

  /** Resolves once every reservation `start()` began has been made or has failed once. */
  firstRound(): Promise<void> {
    return this.#firstRound
  }

  stop(): void {
    this.#stopped = true
    for (const s of this.#shards) if (s.timer !== undefined) clearTimeout(s.timer)
  }

  /** Reservations held now. */
  list(): ReservationInfo[] {
    const addrs = this.#init.node.getMultiaddrs().map((a) => a.toString())
    return this.#shards
      .filter((s) => s.state === 'reserved')
      .map((s) => ({
        kind: this.#kind,
        ...this.#where(s),
        addrs: addrs.filter((a) => a.includes(`/p2p/${s.relay.peerId}/p2p-circuit`)),
        sinceMs: Date.now() - (s.since ?? Date.now()),
      }))
  }

  /** Every known relay with its state, sorted by shard. */
  statuses(): RelayStatus[] {
    const active = new Set(this.#shards.filter((s) => s.state !== 'idle').map((s) => s.relay.peerId))
    return this.#shards
      .map((s) => ({
        shard: s.relay.shard ?? 'super-peer',
        peerId: s.relay.peerId,
        addrs: s.relay.addrs,
        wanted: active.has(s.relay.peerId),
        state: s.state === 'reserving' ? ('connecting' as const) : s.state,
        ...(s.reason === undefined ? {} : { reason: s.reason }),
        ...(s.retryAt === undefined ? {} : { retryAt: s.retryAt }),
        ...(s.reservedAfterMs === undefined ? {} : { reservedAfterMs: s.reservedAfterMs }),
      }))
      .sort(byShard)
  }

  get #kind(): RelayKind {
    return this.#init.kind ?? 'shard'
  }

  #newShard(relay: KeptRelay): Shard {
    return {
      relay,
      peerId: peerIdFromString(relay.peerId),
      state: 'idle',
      backoff: new Backoff(
        this.#init.minBackoffMs ?? DEFAULT_RECONNECT_MIN_MS,
        this.#init.maxBackoffMs ?? DEFAULT_RECONNECT_MAX_MS,
        this.#init.random,
      ),
    }
  }

  /** How events and listings name a relay: `{shard}` or `{kind: 'super-peer'}`, plus `relay`. */
  #where(shard: Shard): { shard: string; relay: string } | { kind: 'super-peer'; relay: string } {
    return this.#kind === 'shard'
      ? { shard: shard.relay.shard ?? '', relay: shard.relay.peerId }
      : { kind: 'super-peer', relay: shard.relay.peerId }
  }

  /** Starts reservations (all at once) until `want` are held or under way; answers the attempts begun. */
  #fill(): Array<Promise<void>> {
    const started: Array<Promise<void>> = []
    if (this.#stopped) return started
    const target = Math.min(this.#init.want, this.#shards.length)
    let active = this.#shards.filter((s) => s.state === 'reserved' || s.state === 'reserving').length
    for (const shard of this.#shards) {
      if (active >= target) break
      if (shard.state !== 'idle') continue
      active++
      started.push(this.#reserve(shard))
    }
    return started
  }

  async #reserve(shard: Shard): Promise<void> {
    shard.state = 'reserving'
    try {
      await pTimeout(this.#attempt(shard), {
        milliseconds: DEFAULT_RESERVATION_TIMEOUT_MS,
        message: `no reservation within ${DEFAULT_RESERVATION_TIMEOUT_MS} ms`,
      })
      if (!this.#store.hasReservation(shard.peerId)) throw new Error('relay granted no reservation')
      if (this.#stopped) return
      shard.state = 'reserved'
      shard.backoff.reset()
      shard.reason = undefined
      shard.retryAt = undefined
      shard.since = Date.now()
      shard.reservedAfterMs = Math.round(performance.now())
      this.#init.events('reservation.made', this.#where(shard))
    } catch (err) {
      if (this.#stopped) return
      // libp2p's transport manager puts the listener's own error on a later line of its message
      const full = toError(err).message
      const status = /status (\w+)/.exec(full)?.[1]
      const message =
        full
          .split('\n')
          .findLast((l) => l.trim() !== '')
          ?.trim() ?? full
      if (status !== undefined) this.#backoff(shard, `relay refused the reservation: ${status}`, 'refused')
      else this.#backoff(shard, `reservation failed: ${message}`, 'unreachable')
    }
  }

  async #attempt(shard: Shard): Promise<void> {
    await this.#init.node.dial(
      shard.relay.addrs.map((a) => multiaddr(a)),
      { signal: AbortSignal.timeout(DEFAULT_DIAL_TIMEOUT_MS) },
    )
    if (circuitListenerFor(this.#init.node, shard.peerId) === undefined) {
      await transportManagerOf(this.#init.node).listen([multiaddr(`/p2p/${shard.relay.peerId}/p2p-circuit`)])
      return
    }
    // a failed dial puts the relay on the store's deny filter for good: we retry on our own schedule
    this.#store.relayFilter?.remove?.(shard.peerId.toMultihash().bytes)
    await this.#store.addRelay(shard.peerId, 'configured')
  }

  #onLost(relay: PeerId, reason: string): void {
    const shard = this.#shards.find((s) => s.peerId.equals(relay))
    if (shard === undefined || this.#stopped || shard.state !== 'reserved') return
    this.#init.events('reservation.lost', { ...this.#where(shard), reason }, 'warn')
    // another relay takes over at once; this one is retried after its backoff
    this.#backoff(shard, reason, 'unreachable')
  }

  #backoff(shard: Shard, reason: string, state: 'refused' | 'unreachable'): void {
    const retryInMs = shard.backoff.next()
    shard.state = state
    shard.reason = reason
    shard.retryAt = Date.now() + retryInMs
    const fields = { ...this.#where(shard), reason, retryInMs }
    const level = shard.backoff.attempts > 1 ? 'debug' : 'warn'
    // a refusal is a decision of the relay (its status in `reason`); every failure is also a retry
    if (state === 'refused') this.#init.events('reservation.refused', fields, level)
    this.#init.events('reservation.retry', fields, level)
    if (shard.timer !== undefined) clearTimeout(shard.timer)
    const stale = this.#init.staleAfterFailures ?? DEFAULT_RESERVATION_STALE_AFTER_FAILURES
    if (shard.backoff.attempts >= stale) void this.#refresh()
    shard.timer = setTimeout(() => {
      shard.state = 'idle'
      this.#fill()
    }, retryInMs)
    this.#fill()
  }

  async #refresh(): Promise<void> {
    if (this.#refreshing || this.#init.refresh === undefined) return
    this.#refreshing = true
    try {
      const relays = await this.#init.refresh()
      if (relays !== undefined && !this.#stopped) this.update(relays)
    } catch (err) {
      this.#init.events('bootstrap.failed', { reason: toError(err).message }, 'warn')
    } finally {
      this.#refreshing = false
    }
  }
}

function byShard(a: { shard?: string }, b: { shard?: string }): number {
  return Number(a.shard) - Number(b.shard)
}

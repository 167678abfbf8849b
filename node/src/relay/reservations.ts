/**
 * Keeps circuit-relay-v2 reservations on `want` relay shards (two by default, so losing one relay does
 * not make the node unreachable), re-reserving with exponential backoff when a relay drops or refuses.
 * The daemon runs a second keeper (`kind: 'super-peer'`) over the bootstrap document's home super-peers.
 *
 * Mechanics (circuit-relay-v2 4.x): the first reservation on a shard goes through
 * `transportManager.listen(['<shard addr>/p2p-circuit'])`, which creates a circuit listener bound to
 * that relay (its addresses feed the address manager and the `/webrtc` listener). After a loss, the
 * same listener is refreshed by dialling the relay and calling the transport's
 * `reservationStore.addRelay(relay, 'configured')`: the listener re-applies its addresses when a
 * reservation of "its" relay is created.
 */
import type { Libp2p, Listener, PeerId, Transport } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_RECONNECT_MIN_MS,
} from '../../../shared/src/defaults.ts'
import { toError } from '../../../shared/src/errors.ts'
import type { BootstrapRelay } from '../../../shared/src/protocol/bootstrap.ts'
import type { EventSink } from '../events.ts'

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reservation within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

type ShardState = 'idle' | 'reserving' | 'reserved' | 'backoff'

interface Shard {
  relay: BootstrapRelay
  peerId: PeerId
  state: ShardState
  failures: number
  timer?: ReturnType<typeof setTimeout>
  since?: number
}

interface ReservationStoreLike extends EventTarget {
  addRelay: (peer: PeerId, type: 'configured' | 'discovered') => Promise<unknown>
  hasReservation: (peer: PeerId) => boolean
  relayFilter?: { remove?: (bytes: Uint8Array) => unknown }
}

export type RelayKind = 'shard' | 'super-peer'

export interface ReservationInfo {
  /** An edge shard, or a home node that offers hop (bootstrap `superPeers`). */
  kind: RelayKind
  /** Shard name (kind `shard` only). */
  shard?: string
  relay: string
  /** Circuit addresses others dial us on through this shard. */
  addrs: string[]
  sinceMs: number
}

export interface ReservationKeeperInit {
  node: Libp2p
  /** The circuitRelayTransport instance (captured at construction). */
  transport: Transport
  relays: BootstrapRelay[]
  want: number
  events: EventSink
  /**
   * What the relays are: edge shards (events and listings carry `shard`), or home super-peers
   * (`kind: 'super-peer'`, their `shard` field is ignored).
   * @default 'shard'
   */
  kind?: RelayKind
  minBackoffMs?: number
  maxBackoffMs?: number
  /**
   * Called after a shard failed `staleAfterFailures` times in a row: the edge may have new relays (a
   * redeploy without stable shard keys). Answer with a fresh relay list, or undefined to keep ours.
   */
  refresh?: () => Promise<BootstrapRelay[] | undefined>
  /** @default 3 */
  staleAfterFailures?: number
}

export class ReservationKeeper {
  readonly #init: ReservationKeeperInit
  #shards: Shard[]
  #refreshing = false
  readonly #store: ReservationStoreLike
  #stopped = false

  constructor(init: ReservationKeeperInit) {
    this.#init = init
    const store = (init.transport as unknown as { reservationStore?: ReservationStoreLike }).reservationStore
    if (store === undefined || typeof store.addRelay !== 'function') {
      throw new Error('unsupported @libp2p/circuit-relay-v2 transport: no reservationStore.addRelay')
    }
    this.#store = store
    // spread nodes over shards: start at a position derived from our peer ID
    const offset = [...init.node.peerId.toString()].reduce((a, c) => a + c.charCodeAt(0), 0)
    const sorted =
      this.#kind === 'shard'
        ? [...init.relays].sort((a, b) => Number(a.shard) - Number(b.shard))
        : [...init.relays]
    const rotated = sorted.map((_, i) => sorted[(i + offset) % sorted.length]!)
    this.#shards = rotated.map((relay) => ({
      relay,
      peerId: peerIdFromString(relay.peerId),
      state: 'idle',
      failures: 0,
    }))
    store.addEventListener('relay:removed', (evt) => {
      const relay = (evt as CustomEvent<{ relay: PeerId }>).detail.relay
      this.#onLost(relay, 'relay connection closed')
    })
  }

  /** Replaces the relay list: keeps shards whose peer ID is unchanged, adds new ones, drops the rest. */
  update(relays: BootstrapRelay[]): void {
    const next = new Set(relays.map((r) => r.peerId))
    for (const s of this.#shards) {
      if (!next.has(s.relay.peerId)) clearTimeout(s.timer)
    }
    const kept = this.#shards.filter((s) => next.has(s.relay.peerId))
    for (const relay of relays) {
      const old = kept.find((s) => s.relay.peerId === relay.peerId)
      if (old !== undefined) old.relay = relay
      else kept.push({ relay, peerId: peerIdFromString(relay.peerId), state: 'idle', failures: 0 })
    }
    this.#shards = kept
    this.#fill()
  }

  /** Relay peer IDs of every known shard (for path labels). */
  shardOf(relayPeerId: string): string | undefined {
    if (this.#kind !== 'shard') return undefined
    return this.#shards.find((s) => s.relay.peerId === relayPeerId)?.relay.shard
  }

  /** True when `relayPeerId` is one of our relays. */
  has(relayPeerId: string): boolean {
    return this.#shards.some((s) => s.relay.peerId === relayPeerId)
  }

  get #kind(): RelayKind {
    return this.#init.kind ?? 'shard'
  }

  /** How events and listings name a relay: `{shard}` or `{kind: 'super-peer'}`, plus `relay`. */
  #where(shard: Shard): { shard: string; relay: string } | { kind: 'super-peer'; relay: string } {
    return this.#kind === 'shard'
      ? { shard: shard.relay.shard, relay: shard.relay.peerId }
      : { kind: 'super-peer', relay: shard.relay.peerId }
  }

  relays(): BootstrapRelay[] {
    return this.#shards.map((s) => s.relay)
  }

  start(): void {
    this.#fill()
  }

  stop(): void {
    this.#stopped = true
    for (const s of this.#shards) clearTimeout(s.timer)
  }

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

  #target(): number {
    return Math.min(this.#init.want, this.#shards.length)
  }

  #fill(): void {
    if (this.#stopped) return
    let active = this.#shards.filter((s) => s.state === 'reserved' || s.state === 'reserving').length
    for (const shard of this.#shards) {
      if (active >= this.#target()) return
      if (shard.state !== 'idle') continue
      active++
      void this.#reserve(shard)
    }
  }

  async #reserve(shard: Shard): Promise<void> {
    shard.state = 'reserving'
    try {
      await withTimeout(this.#attempt(shard), 2 * DEFAULT_DIAL_TIMEOUT_MS)
      if (!this.#store.hasReservation(shard.peerId)) throw new Error('relay granted no reservation')
      if (this.#stopped) return
      shard.state = 'reserved'
      shard.failures = 0
      shard.since = Date.now()
      this.#init.events('reservation.made', this.#where(shard))
    } catch (err) {
      if (this.#stopped) return
      this.#backoff(shard, `reservation failed: ${toError(err).message.split('\n')[0]}`)
    }
  }

  async #attempt(shard: Shard): Promise<void> {
    // dial first: the listener's own dial would go through multiaddr-matcher, which rejects the
    // `/http-path/` addresses of shards other than 0; `/p2p/<relay>/p2p-circuit` then reuses the connection
    await this.#init.node.dial(
      shard.relay.addrs.map((a) => multiaddr(a)),
      { signal: AbortSignal.timeout(DEFAULT_DIAL_TIMEOUT_MS) },
    )
    if (this.#listenerFor(shard.peerId) === undefined) {
      await this.#transportManager().listen([multiaddr(`/p2p/${shard.relay.peerId}/p2p-circuit`)])
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
    this.#backoff(shard, reason)
  }

  #backoff(shard: Shard, reason: string): void {
    const min = this.#init.minBackoffMs ?? DEFAULT_RECONNECT_MIN_MS
    const max = this.#init.maxBackoffMs ?? DEFAULT_RECONNECT_MAX_MS
    const delay = Math.min(max, min * 2 ** shard.failures)
    shard.failures++
    shard.state = 'backoff'
    this.#init.events(
      'reservation.retry',
      { ...this.#where(shard), inMs: delay, reason },
      shard.failures > 1 ? 'debug' : 'warn',
    )
    clearTimeout(shard.timer)
    if (shard.failures >= (this.#init.staleAfterFailures ?? 3)) void this.#refresh()
    shard.timer = setTimeout(() => {
      shard.state = 'idle'
      this.#fill()
    }, delay)
    // another shard may take over meanwhile
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

  #transportManager(): {
    listen: (a: ReturnType<typeof multiaddr>[]) => Promise<void>
    getListeners: () => Listener[]
  } {
    return (this.#init.node as unknown as { components: { transportManager: never } }).components
      .transportManager
  }

  #listenerFor(relay: PeerId): Listener | undefined {
    return this.#transportManager()
      .getListeners()
      .find((l) => (l as unknown as { relay?: PeerId }).relay?.equals(relay) === true)
  }
}

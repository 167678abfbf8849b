/**
 * Keeps the tab connected to the relay shards it reserves on, with backoff. The circuit transport makes
 * the reservation on each hop-capable relay it is connected to (one per `/p2p-circuit` listen address);
 * this module dials, watches the reservation appear in our own addresses, records refusals with the
 * relay's reason, and redials a lost or refusing relay after a growing delay.
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_DIAL_TIMEOUT_MS } from '../../shared/src/defaults.ts'
import { toError } from '../../shared/src/errors.ts'
import type { BootstrapRelay } from '../../shared/src/protocol/bootstrap.ts'
import { Backoff } from './backoff.ts'
import type { EventLog } from './events.ts'
import type { RelayStatus } from './types.ts'

interface Entry extends RelayStatus {
  backoff: Backoff
  dialing: boolean
}

/** A relay that accepted the connection but granted no reservation within this time is retried (ms). */
const RESERVATION_WAIT_MS = 15_000
const TICK_MS = 500

export class RelayManager {
  readonly #node: Libp2p
  readonly #events: EventLog
  readonly #wanted: number
  readonly #entries = new Map<string, Entry>()
  #timer?: ReturnType<typeof setInterval>
  #connectedAt = new Map<string, number>()

  /** Called when a relay cannot be reached: the bootstrap document may list other relays by now. */
  readonly #onTrouble: () => void

  constructor(node: Libp2p, events: EventLog, wanted: number, onTrouble: () => void = () => {}) {
    this.#node = node
    this.#events = events
    this.#wanted = wanted
    this.#onTrouble = onTrouble
  }

  /**
   * Applies the relay list of a (refreshed) bootstrap document: shard 0 first, then the next ones. A
   * relay no longer listed (redeployed with a new identity, shard removed) is forgotten.
   */
  update(relays: BootstrapRelay[]): void {
    const sorted = [...relays].sort((a, b) => Number(a.shard) - Number(b.shard))
    const listed = new Set(sorted.map((r) => r.peerId))
    for (const id of [...this.#entries.keys()]) {
      if (!listed.has(id) && !this.#connected(id)) this.#entries.delete(id)
    }
    sorted.forEach((r, i) => {
      const e = this.#entries.get(r.peerId)
      if (e !== undefined) {
        e.addrs = r.addrs
        e.wanted = i < this.#wanted
        return
      }
      this.#entries.set(r.peerId, {
        ...r,
        wanted: i < this.#wanted,
        state: 'idle',
        backoff: new Backoff(),
        dialing: false,
      })
    })
  }

  shardOf(peerId: string): string | undefined {
    return this.#entries.get(peerId)?.shard
  }

  start(): void {
    this.#node.addEventListener('connection:close', (evt) => {
      const e = this.#entries.get(evt.detail.remotePeer.toString())
      if (e === undefined || this.#connected(e.peerId)) return
      if (e.state === 'reserved' || e.state === 'connected') {
        const retry = e.backoff.next()
        e.state = 'unreachable'
        e.reason = 'connection to the relay closed'
        e.retryAt = Date.now() + retry
        this.#events.emit({
          event: 'relay',
          shard: e.shard,
          result: 'lost',
          reason: e.reason,
          retryInMs: retry,
        })
      }
    })
    this.#timer = setInterval(() => this.#tick(), TICK_MS)
    this.#tick()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /**
   * Called by the peer's logger hook when the reservation store reports a refusal. The connection is
   * kept (it still reaches peers through the relay) until the retry is due; then a fresh connection
   * makes the circuit transport ask again.
   */
  onReservationError(relayPeer: string, error: string): void {
    const e = this.#entries.get(relayPeer)
    if (e === undefined) return
    const retry = e.backoff.next()
    const status = /status (\w+)/.exec(error)?.[1]
    e.state = 'refused'
    e.reason =
      status === undefined ? `reservation failed: ${error}` : `relay refused the reservation: ${status}`
    e.retryAt = Date.now() + retry
    this.#events.emit({
      event: 'relay',
      shard: e.shard,
      result: 'refused',
      reason: e.reason,
      retryInMs: retry,
    })
  }

  statuses(): RelayStatus[] {
    return [...this.#entries.values()]
      .map(({ backoff: _b, dialing: _d, ...s }) => {
        const inUse = this.#connected(s.peerId)
        return { ...s, wanted: s.wanted || inUse }
      })
      .sort((a, b) => Number(a.shard) - Number(b.shard))
  }

  #connected(peerId: string): boolean {
    return this.#node.getConnections().some((c) => c.remotePeer.toString() === peerId && c.status === 'open')
  }

  #reserved(peerId: string): boolean {
    return this.#node.getMultiaddrs().some((a) => a.toString().includes(`/p2p/${peerId}/p2p-circuit`))
  }

  #tick(): void {
    for (const e of this.#entries.values()) {
      if (this.#reserved(e.peerId)) {
        if (e.state !== 'reserved') {
          e.state = 'reserved'
          e.reason = undefined
          e.retryAt = undefined
          e.reservedAfterMs = Math.round(performance.now())
          e.backoff.reset()
          this.#events.emit({ event: 'relay', shard: e.shard, result: 'reserved' })
        }
        continue
      }
      if (e.state === 'reserved') e.state = this.#connected(e.peerId) ? 'connected' : 'idle'
      if (e.state === 'connecting' && !e.dialing) e.state = 'idle'
      if (!e.wanted || e.dialing) continue
      if (this.#connected(e.peerId)) {
        if (e.state === 'refused' && e.retryAt !== undefined && Date.now() >= e.retryAt) {
          e.dialing = true
          void this.#node
            .hangUp(multiaddr(`/p2p/${e.peerId}`))
            .catch((err: unknown) =>
              console.error('edgeswarm:browser could not hang up on relay %s', e.peerId, err),
            )
            .finally(() => {
              e.dialing = false
            })
          continue
        }
        const since = this.#connectedAt.get(e.peerId) ?? Date.now()
        if (e.state === 'connected' && Date.now() - since > RESERVATION_WAIT_MS) {
          this.onReservationError(e.peerId, `no reservation granted within ${RESERVATION_WAIT_MS / 1000} s`)
        }
        continue
      }
      if (e.retryAt !== undefined && Date.now() < e.retryAt) continue
      void this.#dial(e)
    }
  }

  async #dial(e: Entry): Promise<void> {
    e.dialing = true
    e.state = 'connecting'
    try {
      await this.#node.dial(
        e.addrs.map((a) => multiaddr(a)),
        { signal: AbortSignal.timeout(DEFAULT_DIAL_TIMEOUT_MS) },
      )
      e.state = 'connected'
      e.reason = undefined
      this.#connectedAt.set(e.peerId, Date.now())
      this.#events.emit({ event: 'relay', shard: e.shard, result: 'connected' })
    } catch (err) {
      const retry = e.backoff.next()
      e.state = 'unreachable'
      // a browser WebSocket hides the HTTP status of a refused upgrade (429 connections_per_ip, 503
      // connection_limit): say what is known
      e.reason = `WebSocket to shard ${e.shard} failed or was refused (${toError(err).message})`
      e.retryAt = Date.now() + retry
      this.#events.emit({
        event: 'relay',
        shard: e.shard,
        result: 'unreachable',
        reason: e.reason,
        retryInMs: retry,
      })
      this.#onTrouble()
    } finally {
      e.dialing = false
    }
  }
}

/**
 * The bounded-degree overlay: each peer keeps at most `target` neighbours (connections to peers that
 * are not relays) and drops the rest, so degree stays bounded however large the overlay grows.
 *
 * The peers a peer wants, chosen from its kad-dht routing table at each round:
 * 1. its `close` closest peers (Kademlia's near neighbourhood, which answers for keys near us);
 * 2. one peer per other k-bucket, farthest buckets first (long links: a lookup halves the distance each
 *    hop, the property that bounds hops to O(log n)); a connected peer in the bucket is preferred.
 * Below target it dials wanted peers it is not connected to, and only those: a peer that closed our
 * connection is left alone for `backoffMs`. Above target it drops, lowest ranked first (wanted, then
 * other routing-table peers, then the rest), connections that are idle: never one carrying a stream (a
 * transfer, a DM, a DHT request in flight) or younger than `graceMs` (a lookup just dialled it).
 * Relays (peers offering circuit-relay hop, our reservations) are never dropped and never counted.
 *
 * kad-dht's own keep-alive tagging of its 20 closest peers is switched off (libp2p-compat,
 * kad-routing-table.ts): libp2p redials keep-alive peers the moment they disconnect, so trimming was
 * undone at once by the other side.
 *
 * @example
 * ```ts
 * const n = new NeighbourManager({ node, dht, target: 24, close: 10, checkMs: 10_000, graceMs: 30_000,
 *   backoffMs: 300_000, events })
 * n.start(); await n.neighbourPeers()
 * ```
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { RELAY_HOP_PROTOCOL } from '../../constants.ts'
import {
  DEFAULT_DHT_THIN_REFRESH_MS,
  DEFAULT_DHT_THIN_TABLE,
  DEFAULT_ROUTING_DHT_TIMEOUT_MS,
} from '../../defaults.ts'
import { toError } from '../../errors.ts'
import {
  type KadContact,
  kadRoutingTableOf,
  stopClosestPeerTagging,
} from '../../libp2p-compat/kad-routing-table.ts'
import type { EventSink } from '../../peer/service.ts'

export interface NeighbourInit {
  node: Libp2p
  dht: KadDHT
  target: number
  close: number
  checkMs: number
  graceMs: number
  backoffMs: number
  events: EventSink
}

export async function kadIdOf(peer: PeerId): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest('SHA-256', peer.toMultihash().bytes as Uint8Array<ArrayBuffer>),
  )
}

/** Common prefix length of two kad IDs: the k-bucket a peer falls into, seen from `self`. */
export function bucketOf(self: Uint8Array, other: Uint8Array): number {
  for (let i = 0; i < self.length; i++) {
    const x = self[i]! ^ other[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return self.length * 8
}

/** XOR distance order: negative when `a` is closer to `self` than `b`. */
export function compareDistance(self: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < self.length; i++) {
    const d = (self[i]! ^ a[i]!) - (self[i]! ^ b[i]!)
    if (d !== 0) return d
  }
  return 0
}

/**
 * The wanted peers (pure): the `close` contacts nearest to `self`, then one contact per k-bucket holding
 * none of them, farthest bucket first, preferring one in `connected`; contacts in `skip` are never
 * picked. Returns peer IDs (as strings) in that order, close peers first.
 */
export function wantedPeers(
  self: Uint8Array,
  contacts: readonly KadContact[],
  close: number,
  connected: ReadonlySet<string>,
  skip: ReadonlySet<string>,
): { close: string[]; long: string[] } {
  const usable = contacts.filter((c) => !skip.has(c.peerId.toString()))
  const near = [...usable].sort((a, b) => compareDistance(self, a.kadId, b.kadId)).slice(0, close)
  const nearIds = near.map((c) => c.peerId.toString())
  const covered = new Set(near.map((c) => bucketOf(self, c.kadId)))
  const perBucket = new Map<number, string>()
  for (const c of usable) {
    const b = bucketOf(self, c.kadId)
    if (covered.has(b)) continue
    const id = c.peerId.toString()
    const cur = perBucket.get(b)
    if (cur === undefined || (!connected.has(cur) && connected.has(id))) perBucket.set(b, id)
  }
  const long = [...perBucket].sort((a, b) => a[0] - b[0]).map(([, id]) => id)
  return { close: nearIds, long }
}

export class NeighbourManager {
  readonly #init: NeighbourInit
  #timer: ReturnType<typeof setInterval> | undefined
  #self: Uint8Array | undefined
  #running = false
  #refreshedAt = 0
  #refreshWaitMs = DEFAULT_DHT_THIN_REFRESH_MS
  #refreshing = false
  /** Peers we hung up on ourselves, and when: their disconnect is not a refusal. */
  readonly #hungUp = new Map<string, number>()
  /** Peers that closed our connection, and when: not dialled again for `backoffMs`. */
  readonly #closedOnUs = new Map<string, number>()
  readonly #onDisconnect = (evt: CustomEvent<PeerId>) => {
    const id = evt.detail.toString()
    const ours = this.#hungUp.get(id)
    this.#hungUp.delete(id)
    if (ours !== undefined && Date.now() - ours < 60_000) return
    this.#closedOnUs.set(id, Date.now())
  }

  constructor(init: NeighbourInit) {
    this.#init = init
  }

  start(): void {
    if (this.#timer !== undefined) return
    stopClosestPeerTagging(this.#init.dht)
    this.#init.node.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#timer = setInterval(() => void this.check(), this.#init.checkMs)
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#init.node.removeEventListener('peer:disconnect', this.#onDisconnect)
  }

  routingTableSize(): number {
    return kadRoutingTableOf(this.#init.dht).size
  }

  /** The kad IDs of every routing-table contact (optimistic provide estimates the network's size from them). */
  contactKadIds(): Uint8Array[] {
    return this.#contacts().map((c) => c.kadId)
  }

  #contacts(): KadContact[] {
    return [...kadRoutingTableOf(this.#init.dht).kb.toIterable()]
  }

  #isRelay(peer: PeerId, protocols: ReadonlySet<string>): boolean {
    if (protocols.has(RELAY_HOP_PROTOCOL)) return true
    const id = peer.toString()
    return this.#init.node.getMultiaddrs().some((a) => a.toString().includes(`/p2p/${id}/p2p-circuit`))
  }

  async #protocols(peer: PeerId): Promise<Set<string>> {
    try {
      return new Set((await this.#init.node.peerStore.get(peer)).protocols)
    } catch {
      return new Set()
    }
  }

  /** Connected peers that count as neighbours (not relays). */
  async neighbourPeers(): Promise<PeerId[]> {
    const out: PeerId[] = []
    for (const peer of this.#init.node.getPeers()) {
      if (!this.#isRelay(peer, await this.#protocols(peer))) out.push(peer)
    }
    return out
  }

  #backedOff(now: number): Set<string> {
    for (const [id, at] of this.#hungUp) if (now - at >= 60_000) this.#hungUp.delete(id)
    const out = new Set<string>()
    for (const [id, at] of this.#closedOnUs) {
      if (now - at < this.#init.backoffMs) out.add(id)
      else this.#closedOnUs.delete(id)
    }
    return out
  }

  /**
   * A connection is in use while it carries any stream (a DM, a file or compute transfer, a DHT request
   * in flight: closing one under a query failed it with StreamResetError/UnexpectedEOFError) or is
   * younger than `graceMs`.
   */
  #busy(conns: Connection[], now: number): boolean {
    return conns.some((c) => now - c.timeline.open < this.#init.graceMs || c.streams.length > 0)
  }

  /** One trim/top-up round; safe to call any time (rounds never overlap). */
  async check(): Promise<{ neighbours: number; dropped: number; dialled: number }> {
    if (this.#running) return { neighbours: -1, dropped: 0, dialled: 0 }
    this.#running = true
    try {
      this.#refreshIfThin()
      const node = this.#init.node
      const now = Date.now()
      this.#self ??= await kadIdOf(node.peerId)
      const peers = await this.neighbourPeers()
      const connected = new Set(peers.map((p) => p.toString()))
      const contacts = this.#contacts()
      const wanted = wantedPeers(this.#self, contacts, this.#init.close, connected, this.#backedOff(now))
      const tier = new Map<string, number>()
      for (const id of [...wanted.close, ...wanted.long]) tier.set(id, tier.size)
      const table = new Set(contacts.map((c) => c.peerId.toString()))
      const rankOf = (p: PeerId) => tier.get(p.toString()) ?? (table.has(p.toString()) ? 100_000 : 200_000)
      const ranked = [...peers].sort((a, b) => rankOf(a) - rankOf(b))
      let dropped = 0
      // lowest ranked first, until the count is back at target; busy connections are skipped, not counted
      for (const peer of ranked.slice(this.#init.target).reverse()) {
        if (ranked.length - dropped <= this.#init.target) break
        if (this.#busy(node.getConnections(peer), now)) continue
        this.#hungUp.set(peer.toString(), now)
        await node.hangUp(peer).catch((err: unknown) => {
          this.#init.events(
            'neighbour.drop-failed',
            { peer: peer.toString(), error: toError(err).message },
            'debug',
          )
        })
        dropped++
      }
      const count = peers.length - dropped
      let dialled = 0
      if (count < this.#init.target) {
        const missing = [...tier.keys()].filter((id) => !connected.has(id))
        dialled = await this.#topUp(missing.slice(0, this.#init.target - count), contacts)
      }
      if (dropped > 0 || dialled > 0) {
        this.#init.events('neighbour.rebalanced', { neighbours: count + dialled, dropped, dialled }, 'debug')
      }
      return { neighbours: count, dropped, dialled }
    } finally {
      this.#running = false
    }
  }

  /**
   * kad-dht fills its table from connections, a self-query at start (5 s time limit) and a refresh
   * every 5 min; a peer whose start-up self-query timed out (a loaded machine) stayed at 2-4 entries for
   * minutes, and lookups from it failed. A thin table (< K) gets a self-lookup (the closest peers to our
   * own ID: they fill the near buckets, the walk fills the far ones) with a longer time limit, repeated
   * with backoff (15 s, 30 s, ... 5 min) while the table stays thin (a network of fewer than K peers).
   */
  #refreshIfThin(): void {
    const size = this.routingTableSize()
    if (size === 0 || size >= DEFAULT_DHT_THIN_TABLE) {
      this.#refreshWaitMs = DEFAULT_DHT_THIN_REFRESH_MS
      return
    }
    const now = Date.now()
    if (this.#refreshing || now - this.#refreshedAt < this.#refreshWaitMs) return
    this.#refreshedAt = now
    this.#refreshWaitMs = Math.min(this.#refreshWaitMs * 2, 300_000)
    this.#refreshing = true
    void (async () => {
      const signal = AbortSignal.timeout(DEFAULT_ROUTING_DHT_TIMEOUT_MS)
      for await (const _ of this.#init.dht.getClosestPeers(this.#init.node.peerId.toMultihash().bytes, {
        signal,
      })) {
        // drain: kad-dht adds every peer that answers to the routing table
      }
    })()
      .then(() =>
        this.#init.events(
          'neighbour.table-refreshed',
          { before: size, after: this.routingTableSize() },
          'debug',
        ),
      )
      .catch((err: unknown) =>
        this.#init.events('neighbour.table-refresh-failed', { error: toError(err).message }, 'debug'),
      )
      .finally(() => {
        this.#refreshing = false
      })
  }

  /** Dials the given wanted peers at once (each gets one check interval); returns how many answered. */
  async #topUp(ids: string[], contacts: readonly KadContact[]): Promise<number> {
    const byId = new Map(contacts.map((c) => [c.peerId.toString(), c.peerId]))
    const results = await Promise.all(
      ids.map(async (id) => {
        const peer = byId.get(id)
        if (peer === undefined) return false
        try {
          await this.#init.node.dial(peer, { signal: AbortSignal.timeout(this.#init.checkMs) })
          return true
        } catch (err) {
          this.#closedOnUs.set(id, Date.now())
          this.#init.events('neighbour.dial-failed', { peer: id, error: toError(err).message }, 'debug')
          return false
        }
      }),
    )
    return results.filter(Boolean).length
  }
}

/**
 * The bounded-degree overlay: each peer keeps at most `target` neighbours (connections to peers that
 * are not relays) and drops the rest, so degree stays bounded however large the overlay grows.
 *
 * Kept, in this order, until `target` is reached:
 * 1. kad-dht's "DHT neighbours": the closest peers it tags keep-alive (Kademlia needs them to answer
 *    for the keys near us);
 * 2. one peer per k-bucket of the routing table, farthest buckets first (long links: a lookup halves
 *    the distance each hop, the property that bounds hops to O(log n));
 * 3. any other peer in the routing table, then the rest.
 * Never dropped, never counted: relays (peers offering circuit-relay hop, our reservations). Never
 * dropped: connections carrying any stream (a transfer, a DM, a DHT request in flight), or younger
 * than `graceMs` (a lookup just dialled it and may use it next).
 * Below target, the manager dials routing-table peers from buckets it has no neighbour in yet.
 *
 * @example
 * ```ts
 * const n = new NeighbourManager({ node, dht, target: 24, checkMs: 10_000, graceMs: 30_000, events })
 * n.start(); n.neighbours() // peer IDs
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
import type { EventSink } from '../../peer/service.ts'

/** The keep-alive tag kad-dht puts on its closest peers (`KEEP_ALIVE_TAG` in @libp2p/kad-dht constants). */
export const KAD_KEEP_ALIVE_TAG = 'keep-alive-kad-dht'

export interface NeighbourInit {
  node: Libp2p
  dht: KadDHT
  target: number
  checkMs: number
  graceMs: number
  events: EventSink
}

interface RoutingTableView {
  size: number
  kb?: { toIterable: () => Iterable<{ kadId: Uint8Array; peerId: PeerId }> }
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

export class NeighbourManager {
  readonly #init: NeighbourInit
  #timer: ReturnType<typeof setInterval> | undefined
  #self: Uint8Array | undefined
  readonly #kadIds = new Map<string, Uint8Array>()
  #running = false
  #refreshedAt = 0
  #refreshWaitMs = DEFAULT_DHT_THIN_REFRESH_MS
  #refreshing = false

  constructor(init: NeighbourInit) {
    this.#init = init
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), this.#init.checkMs)
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  routingTable(): RoutingTableView {
    return (this.#init.dht as unknown as { routingTable: RoutingTableView }).routingTable
  }

  routingTableSize(): number {
    return this.routingTable().size
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

  async #tags(peer: PeerId): Promise<Set<string>> {
    try {
      return new Set((await this.#init.node.peerStore.get(peer)).tags.keys())
    } catch {
      return new Set()
    }
  }

  /** Connected peers that count as neighbours (not relays), by peer ID. */
  async neighbourPeers(): Promise<PeerId[]> {
    const out: PeerId[] = []
    for (const peer of this.#init.node.getPeers()) {
      if (!this.#isRelay(peer, await this.#protocols(peer))) out.push(peer)
    }
    return out
  }

  async #kadId(peer: PeerId): Promise<Uint8Array> {
    const id = peer.toString()
    let k = this.#kadIds.get(id)
    if (k === undefined) {
      k = await kadIdOf(peer)
      if (this.#kadIds.size > 4096) this.#kadIds.clear()
      this.#kadIds.set(id, k)
    }
    return k
  }

  /** Orders `peers` by how much the routing table needs them (kept first). */
  async rank(peers: PeerId[]): Promise<PeerId[]> {
    this.#self ??= await kadIdOf(this.#init.node.peerId)
    const table = new Set<string>()
    for (const c of this.routingTable().kb?.toIterable() ?? []) table.add(c.peerId.toString())
    const scored: { peer: PeerId; tier: number; bucket: number }[] = []
    for (const peer of peers) {
      const tags = await this.#tags(peer)
      const bucket = bucketOf(this.#self, await this.#kadId(peer))
      const tier = tags.has(KAD_KEEP_ALIVE_TAG) ? 0 : table.has(peer.toString()) ? 2 : 3
      scored.push({ peer, tier, bucket })
    }
    // tier 1: the first table peer of each bucket not yet covered by tier 0, farthest bucket (lowest cpl) first
    const covered = new Set(scored.filter((s) => s.tier === 0).map((s) => s.bucket))
    for (const s of [...scored].sort((a, b) => a.bucket - b.bucket)) {
      if (s.tier === 2 && !covered.has(s.bucket)) {
        s.tier = 1
        covered.add(s.bucket)
      }
    }
    return scored.sort((a, b) => a.tier - b.tier || a.bucket - b.bucket).map((s) => s.peer)
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
      const peers = await this.rank(await this.neighbourPeers())
      let dropped = 0
      const now = Date.now()
      for (const peer of peers.slice(this.#init.target)) {
        // kad-dht's keep-alive peers would be redialled at once: they are DHT neighbours, always kept
        if ((await this.#tags(peer)).has(KAD_KEEP_ALIVE_TAG)) continue
        if (this.#busy(node.getConnections(peer), now)) continue
        await node
          .hangUp(peer)
          .catch((err: unknown) =>
            this.#init.events(
              'neighbour.drop-failed',
              { peer: peer.toString(), error: toError(err).message },
              'debug',
            ),
          )
        dropped++
      }
      let dialled = 0
      const count = peers.length - dropped
      if (count < this.#init.target) dialled = await this.#topUp(this.#init.target - count, peers)
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

  async #topUp(want: number, connected: PeerId[]): Promise<number> {
    const have = new Set(connected.map((p) => p.toString()))
    const candidates = [...(this.routingTable().kb?.toIterable() ?? [])]
      .map((c) => c.peerId)
      .filter((p) => !have.has(p.toString()) && !p.equals(this.#init.node.peerId))
    const ranked = await this.rank(candidates)
    let dialled = 0
    for (const peer of ranked.slice(0, want)) {
      try {
        await this.#init.node.dial(peer, { signal: AbortSignal.timeout(this.#init.checkMs) })
        dialled++
      } catch (err) {
        this.#init.events(
          'neighbour.dial-failed',
          { peer: peer.toString(), error: toError(err).message },
          'debug',
        )
      }
    }
    return dialled
  }
}

/**
 * The routing service (`ctx.service<RoutingService>('routing')`): resource location for every other
 * service, hybrid — the edge's super-peer index and the peers' Kademlia DHT asked in parallel, each
 * answer tagged with its source, hops and milliseconds (contract: ./types.ts).
 *
 * - provide: one signed record to the edge (./record.ts) and a kad-dht provide, in parallel, whose walk
 *   stores the record early at peers expected among the key's closest (./optimistic.ts); the CID is
 *   re-announced to the edge every half TTL (kad-dht republishes its own records) until unprovide.
 * - findProviders: edge and DHT streamed together, each peer once, first answer first.
 * - findPeer: edge and DHT raced; NotFoundError when neither knows the peer.
 * - The peer's own record (its vouched addresses) is announced at start and when its addresses change.
 * - DHT mode follows `isPublic()`: servers are publicly reachable nodes, everyone else a client.
 * - Bounded degree: ./neighbours.ts.
 *
 * @example
 * ```ts
 * const routing = ctx.service<RoutingService>('routing')!
 * await routing.provide(cid)
 * for await (const p of routing.findProviders(cid)) console.log(p.peerId, p.source, p.hops, p.ms)
 * ```
 */
import type { PeerId } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { MAX_ROUTING_RECORD_CIDS } from '../../constants.ts'
import * as D from '../../defaults.ts'
import { NotFoundError, toError } from '../../errors.ts'
import type { FetchLike } from '../../fetch-like.ts'
import type { PeerService, ServiceContext } from '../../peer/service.ts'
import { dhtFindPeer, dhtProviders, type OverlayDhtInit, overlayDht } from './dht.ts'
import { EdgeIndexClient } from './edge-client.ts'
import { parseCid, parsePeerId } from './keys.ts'
import { kadIdOf, NeighbourManager } from './neighbours.ts'
import { encodeAddProvider, networkSizeEstimate, sendAddProvider, withinKClosest } from './optimistic.ts'
import type { RecordSigner } from './signer.ts'
import { recordSigner } from './signer.ts'
import type { PeerResult, ProvideResult, ProviderResult, Routing, RoutingSource } from './types.ts'

export interface RoutingStatus {
  mode: 'client' | 'server'
  routingTableSize: number
  neighbours: string[]
  target: number
  provided: number
}

/** The service's API: the Routing contract plus status for the shells (CLI status, page). */
export interface RoutingService extends Routing {
  status: () => Promise<RoutingStatus>
}

export interface RoutingInit {
  /** Target neighbours. @default DEFAULT_NEIGHBOURS */
  neighbours?: number
  /** How often to trim/top up neighbours (ms). @default DEFAULT_NEIGHBOUR_CHECK_MS */
  neighbourCheckMs?: number
  /** @default DEFAULT_NEIGHBOUR_GRACE_MS */
  neighbourGraceMs?: number
  /** Closest routing-table peers kept as neighbours. @default DEFAULT_NEIGHBOUR_CLOSE */
  neighbourClose?: number
  /** How long (ms) a peer that closed our connection is not dialled again. @default DEFAULT_NEIGHBOUR_BACKOFF_MS */
  neighbourBackoffMs?: number
  /** Edge record lifetime (s). @default DEFAULT_ROUTING_RECORD_TTL_SECONDS */
  recordTtlSeconds?: number
  /** Ask the edge index at all (tests and benchmarks measure the DHT alone). @default true */
  edge?: boolean
  /** fetch for the edge's API (tests inject one that blocks it). @default globalThis.fetch */
  fetch?: FetchLike
  /** @default DEFAULT_ROUTING_DHT_TIMEOUT_MS */
  dhtTimeoutMs?: number
  /**
   * Closest peers that must acknowledge the DHT record before provide() returns (0: the whole walk).
   * @default DEFAULT_ROUTING_PROVIDE_DHT_PEERS
   */
  provideDhtPeers?: number
  /** Growth of the routing table that walks a record again. @default DEFAULT_ROUTING_REWALK_GROWTH */
  rewalkGrowth?: number
  /** @default DEFAULT_ROUTING_REWALK_CHECK_MS */
  rewalkCheckMs?: number
  /** kad-dht tuning (parallelism, paths, request time floor); server mode follows `isPublic()`. */
  dht?: Omit<OverlayDhtInit, 'server'>
}

const PROVIDED_KEY = 'provided'

export function routingService(init: RoutingInit = {}): PeerService<RoutingService> {
  let stopAll: (() => Promise<void>) | undefined
  return {
    name: 'routing',
    libp2p: (env) => ({
      dht: overlayDht({ ...init.dht, server: env.runtime === 'node' && env.isPublic() }) as never,
      routingSigner: recordSigner() as never,
    }),
    async start(ctx) {
      const r = new RoutingRuntime(ctx, init)
      await r.start()
      stopAll = () => r.stop()
      return r.api()
    },
    async stop() {
      await stopAll?.()
    },
  }
}

class RoutingRuntime {
  readonly #ctx: ServiceContext
  readonly #init: RoutingInit
  readonly #dht: KadDHT
  readonly #signer: RecordSigner
  readonly #edge: EdgeIndexClient | undefined
  readonly #neighbours: NeighbourManager
  readonly #provided = new Set<string>()
  /**
   * Each provided record's last DHT walk (#rewalk): the routing table size at its last walk that some
   * peer acknowledged, when the last walk ended, and how many walks in a row no peer acknowledged.
   */
  readonly #walked = new Map<string, { table: number; at: number; fails: number }>()
  #rewalking = false
  readonly #timers: ReturnType<typeof setInterval>[] = []
  readonly #ttl: number
  #peerAnnounce: ReturnType<typeof setTimeout> | undefined
  readonly #onSelfUpdate = () => this.#schedulePeerRecord()

  constructor(ctx: ServiceContext, init: RoutingInit) {
    this.#ctx = ctx
    this.#init = init
    this.#dht = ctx.node.services.dht as KadDHT
    this.#signer = ctx.node.services.routingSigner as RecordSigner
    this.#ttl = init.recordTtlSeconds ?? D.DEFAULT_ROUTING_RECORD_TTL_SECONDS
    this.#edge =
      init.edge === false || ctx.edgeUrl === ''
        ? undefined
        : new EdgeIndexClient({
            edgeUrl: ctx.edgeUrl,
            networkKey: ctx.networkKey,
            ...(init.fetch === undefined && ctx.fetch === undefined
              ? {}
              : { fetch: init.fetch ?? ctx.fetch }),
          })
    this.#neighbours = new NeighbourManager({
      node: ctx.node,
      dht: this.#dht,
      target: init.neighbours ?? D.DEFAULT_NEIGHBOURS,
      checkMs: init.neighbourCheckMs ?? D.DEFAULT_NEIGHBOUR_CHECK_MS,
      graceMs: init.neighbourGraceMs ?? D.DEFAULT_NEIGHBOUR_GRACE_MS,
      close: init.neighbourClose ?? D.DEFAULT_NEIGHBOUR_CLOSE,
      backoffMs: init.neighbourBackoffMs ?? D.DEFAULT_NEIGHBOUR_BACKOFF_MS,
      events: ctx.events,
    })
  }

  async start(): Promise<void> {
    const kv = this.#ctx.storage.kv('routing')
    for (const cid of (await kv.get<string[]>(PROVIDED_KEY)) ?? []) {
      this.#provided.add(cid)
      // kad-dht keeps no provider records across restarts: walked again once the table has grown
      this.#walked.set(cid, { table: 0, at: Date.now(), fails: 0 })
    }
    await this.#syncMode()
    this.#timers.push(setInterval(() => void this.#syncMode(), D.DEFAULT_DHT_MODE_CHECK_MS))
    this.#timers.push(setInterval(() => void this.#reannounce(), (this.#ttl * 1000) / 2))
    this.#timers.push(
      setInterval(() => void this.#rewalk(), this.#init.rewalkCheckMs ?? D.DEFAULT_ROUTING_REWALK_CHECK_MS),
    )
    this.#ctx.node.addEventListener('self:peer:update', this.#onSelfUpdate)
    this.#neighbours.start()
    this.#schedulePeerRecord()
    if (this.#provided.size > 0) void this.#reannounce()
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t)
    if (this.#peerAnnounce !== undefined) clearTimeout(this.#peerAnnounce)
    this.#ctx.node.removeEventListener('self:peer:update', this.#onSelfUpdate)
    this.#neighbours.stop()
  }

  async #syncMode(): Promise<void> {
    const want = this.#ctx.runtime === 'node' && this.#ctx.isPublic() ? 'server' : 'client'
    if (this.#dht.getMode() === want) return
    try {
      await this.#dht.setMode(want)
      this.#ctx.events('routing.dht-mode', { mode: want })
    } catch (err) {
      this.#ctx.events('routing.dht-mode-failed', { mode: want, error: toError(err).message }, 'warn')
    }
  }

  #addrs(): string[] {
    return this.#ctx.node.getMultiaddrs().map((a) => a.toString())
  }

  /** Announces the peer record (no CIDs) shortly after the addresses settle. */
  #schedulePeerRecord(): void {
    if (this.#edge === undefined) return
    if (this.#peerAnnounce !== undefined) clearTimeout(this.#peerAnnounce)
    this.#peerAnnounce = setTimeout(() => {
      this.#peerAnnounce = undefined
      void this.#announce([]).catch((err: unknown) =>
        this.#ctx.events('routing.announce-failed', { cids: 0, error: toError(err).message }, 'debug'),
      )
    }, 500)
  }

  async #announce(cids: string[], signal?: AbortSignal): Promise<void> {
    if (this.#edge === undefined) throw new Error('edge index disabled')
    const record = await this.#signer.sign({ cids, addrs: this.#addrs(), ttl: this.#ttl })
    const answer = await this.#edge.announce(record, signal)
    this.#ctx.events(
      'routing.announced',
      { cids: cids.length, stored: answer.stored, addrs: answer.addrs.length },
      'debug',
    )
  }

  async #reannounce(): Promise<void> {
    const all = [...this.#provided]
    for (let i = 0; i < all.length; i += MAX_ROUTING_RECORD_CIDS) {
      const batch = all.slice(i, i + MAX_ROUTING_RECORD_CIDS)
      await this.#announce(batch).catch((err: unknown) =>
        this.#ctx.events(
          'routing.announce-failed',
          { cids: batch.length, error: toError(err).message },
          'warn',
        ),
      )
    }
    if (all.length === 0) this.#schedulePeerRecord()
  }

  async #persist(): Promise<void> {
    await this.#ctx.storage.kv('routing').put(PROVIDED_KEY, [...this.#provided])
  }

  #signal(signal: AbortSignal | undefined, ms: number): AbortSignal {
    const list = [this.#ctx.signal, AbortSignal.timeout(ms)]
    if (signal !== undefined) list.push(signal)
    return AbortSignal.any(list)
  }

  async provide(cidText: string, options: { signal?: AbortSignal } = {}): Promise<ProvideResult> {
    const { cid, text } = parseCid(cidText)
    const start = Date.now()
    this.#provided.add(text)
    await this.#persist()
    const stored: RoutingSource[] = []
    const edge =
      this.#edge === undefined
        ? Promise.resolve()
        : this.#announce([text], options.signal).then(
            () => void stored.push('edge'),
            (err: unknown) =>
              this.#ctx.events(
                'routing.provide-failed',
                { cid: text, source: 'edge', error: toError(err).message },
                'warn',
              ),
          )
    let held: () => void = () => {}
    const dhtHolds = new Promise<void>((r) => (held = r))
    const onAck = (acks: number) => {
      if (acks === 1) stored.push('dht')
      const want = Math.min(
        this.#init.provideDhtPeers ?? D.DEFAULT_ROUTING_PROVIDE_DHT_PEERS,
        this.#neighbours.routingTableSize(),
      )
      if (want > 0 && acks >= want) held()
    }
    const dht = this.#dhtProvide(cid, onAck, options.signal).catch((err: unknown) =>
      this.#ctx.events(
        'routing.provide-failed',
        { cid: text, source: 'dht', error: toError(err).message },
        'debug',
      ),
    )
    // the edge confirms in one round trip; the DHT holds the record once the key's closest peers
    // acknowledged it (its walk to the key ends first). Then provide() returns: findable through the edge
    // and through the DHT alone; the walk stores the rest in the background. With the edge stored, the
    // DHT gets at most DEFAULT_ROUTING_PROVIDE_WAIT_MS.
    const dhtDone = Promise.race([dht, dhtHolds])
    await edge
    const edgeMs = Date.now() - start
    if (stored.includes('edge')) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        dhtDone,
        new Promise<void>((r) => (timer = setTimeout(r, D.DEFAULT_ROUTING_PROVIDE_WAIT_MS))),
      ])
      if (timer !== undefined) clearTimeout(timer)
    } else {
      await dhtDone
    }
    const ms = Date.now() - start
    // a copy: the walk goes on and may add 'dht' to `stored` after we return
    const result = { cid: text, stored: [...stored], ms }
    this.#ctx.events('routing.provided', { ...result, edgeMs })
    return result
  }

  /**
   * kad-dht's provide: a lookup for the key's closest peers, then ADD_PROVIDER to each, closest first;
   * `onAck` sees the count after each acknowledgement (a PEER_RESPONSE to ADD_PROVIDER), and the
   * result is the final count. Fewer than DEFAULT_DHT_MIN_PROVIDE_PEERS (or the whole table, when
   * smaller) and the provide is walked again, up to DEFAULT_DHT_PROVIDE_ATTEMPTS times: on a loaded
   * machine one walk stored the record at 0-4 of the 20 closest peers, where lookups miss it.
   */
  async #dhtProvide(
    cid: ReturnType<typeof parseCid>['cid'],
    onAck: (acks: number) => void,
    outer?: AbortSignal,
  ): Promise<number> {
    // kad-dht parks every query until its routing table holds a peer: a lone peer has no DHT to store in
    if (this.#neighbours.routingTableSize() === 0) {
      // walked once the table has grown (#rewalk)
      this.#walked.set(cid.toString(), { table: 0, at: Date.now(), fails: 0 })
      return 0
    }
    const signal = this.#signal(outer, this.#init.dhtTimeoutMs ?? D.DEFAULT_ROUTING_DHT_TIMEOUT_MS)
    const peers = new Set<string>()
    const start = Date.now()
    let lookupMs: number | undefined
    let thirdAckMs: number | undefined
    const ack = (peer: string) => {
      const before = peers.size
      peers.add(peer)
      if (peers.size === before) return
      if (peers.size === 3) thirdAckMs = Date.now() - start
      onAck(peers.size)
    }
    const early = await this.#optimistic(cid, signal, ack)
    // where a walk's time goes: each request's time from sending to its answer or its error
    const sentAt = new Map<string, number>()
    const walk = { asked: 0, answered: 0, failed: 0, slowestMs: 0, errors: new Set<string>() }
    const answered = (peer: string, ok: boolean) => {
      const at = sentAt.get(peer)
      if (at === undefined) return
      sentAt.delete(peer)
      walk.slowestMs = Math.max(walk.slowestMs, Date.now() - at)
      if (ok) walk.answered++
      else walk.failed++
    }
    try {
      for (let attempt = 0; attempt < D.DEFAULT_DHT_PROVIDE_ATTEMPTS && !signal.aborted; attempt++) {
        for await (const ev of this.#dht.provide(cid, { signal })) {
          if (ev.name === 'SEND_QUERY' && ev.messageName === 'FIND_NODE') {
            walk.asked++
            sentAt.set(ev.to.toString(), Date.now())
          } else if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'FIND_NODE') {
            answered(ev.from.toString(), true)
            early.answered(ev.from)
          } else if (ev.name === 'QUERY_ERROR') {
            answered(ev.from.toString(), false)
            if (walk.errors.size < 3) walk.errors.add(ev.error.message.split('\n')[0]!.slice(0, 120))
          }
          // the walk's closest peers come as FINAL_PEER events once it has ended
          if (ev.name === 'FINAL_PEER') lookupMs ??= Date.now() - start
          if (ev.name !== 'PEER_RESPONSE' || ev.messageName !== 'ADD_PROVIDER') continue
          ack(ev.from.toString())
        }
        if (peers.size >= Math.min(D.DEFAULT_DHT_MIN_PROVIDE_PEERS, this.#neighbours.routingTableSize()))
          break
      }
    } catch (err) {
      // out of time: the peers that acknowledged hold the record all the same
      if (peers.size === 0) throw err
    } finally {
      const prev = this.#walked.get(cid.toString())
      this.#walked.set(
        cid.toString(),
        peers.size > 0
          ? { table: this.#neighbours.routingTableSize(), at: Date.now(), fails: 0 }
          : { table: prev?.table ?? 0, at: Date.now(), fails: (prev?.fails ?? 0) + 1 },
      )
      this.#ctx.events(
        'routing.dht-provided',
        {
          cid: cid.toString(),
          peers: peers.size,
          lookupMs,
          thirdAckMs,
          ms: Date.now() - start,
          // our routing table when the walk ended: a walk through young tables may end short of the key's closest peers
          table: this.#neighbours.routingTableSize(),
          walk: { ...walk, unanswered: sentAt.size, errors: [...walk.errors] },
          optimistic: early.stats(),
        },
        'debug',
      )
    }
    return peers.size
  }

  /**
   * Optimistic provide (./optimistic.ts): `answered(peer)` is called for every peer that answers the
   * walk; one expected among the key's K closest (from our estimate of the network's size) is sent the
   * provider record at once, and `ack` counts it like kad-dht's own ADD_PROVIDER at the walk's end.
   */
  async #optimistic(
    cid: ReturnType<typeof parseCid>['cid'],
    signal: AbortSignal,
    ack: (peer: string) => void,
  ): Promise<{ answered: (peer: PeerId) => void; stats: () => Record<string, number | undefined> }> {
    const node = this.#ctx.node
    const key = new Uint8Array(
      await crypto.subtle.digest('SHA-256', cid.multihash.bytes as Uint8Array<ArrayBuffer>),
    )
    const n = networkSizeEstimate(await kadIdOf(node.peerId), this.#neighbours.contactKadIds())
    const addrs = node.getMultiaddrs()
    const seen = new Set<string>()
    const stats = { networkEstimate: n === undefined ? undefined : Math.round(n), sent: 0, acked: 0 }
    // stock kad-dht ignores a provider record without an address (a peer reachable only through
    // a circuit it has not reserved yet): nothing to send then
    const msg = addrs.length > 0 ? encodeAddProvider(cid, node.peerId, addrs) : undefined
    const answered = (peer: PeerId) => {
      const id = peer.toString()
      if (msg === undefined || n === undefined || seen.has(id) || signal.aborted) return
      seen.add(id)
      void kadIdOf(peer)
        .then(async (kadId) => {
          if (!withinKClosest(key, kadId, n, D.DEFAULT_DHT_K)) return
          stats.sent++
          await sendAddProvider(node, peer, msg, signal)
          stats.acked++
          ack(id)
        })
        .catch((err: unknown) =>
          this.#ctx.events(
            'routing.optimistic-provide-failed',
            { cid: cid.toString(), peer: id, error: toError(err).message },
            'debug',
          ),
        )
    }
    return { answered, stats: () => ({ ...stats }) }
  }

  /**
   * Walks a provided record again once the routing table has grown enough since its last walk
   * (DEFAULT_ROUTING_REWALK_GROWTH), one walk at a time; kad-dht's reprovide (hours) does the rest.
   */
  async #rewalk(): Promise<void> {
    if (this.#rewalking) return
    this.#rewalking = true
    try {
      const checkMs = this.#init.rewalkCheckMs ?? D.DEFAULT_ROUTING_REWALK_CHECK_MS
      for (const [text, w] of [...this.#walked]) {
        if (this.#ctx.signal.aborted) return
        if (!this.#provided.has(text)) {
          this.#walked.delete(text)
          continue
        }
        const now = this.#neighbours.routingTableSize()
        const grown =
          now >= 2 * w.table && now - w.table >= (this.#init.rewalkGrowth ?? D.DEFAULT_ROUTING_REWALK_GROWTH)
        // a walk no peer acknowledged (timed out under load, say) is tried again with backoff
        const retry =
          w.fails > 0 &&
          now > 0 &&
          Date.now() - w.at >= Math.min(D.DEFAULT_ROUTING_REWALK_RETRY_MAX_MS, checkMs * 2 ** w.fails)
        if (!grown && !retry) continue
        const acks = await this.#dhtProvide(parseCid(text).cid, () => {}).catch(() => 0)
        this.#ctx.events(
          'routing.rewalked',
          { cid: text, tableBefore: w.table, table: now, failedBefore: w.fails, peers: acks },
          'debug',
        )
      }
    } finally {
      this.#rewalking = false
    }
  }

  async unprovide(cidText: string): Promise<void> {
    const { cid, text } = parseCid(cidText)
    this.#provided.delete(text)
    await this.#persist()
    await this.#dht
      .cancelReprovide(cid)
      .catch((err: unknown) =>
        this.#ctx.events('routing.unprovide-failed', { cid: text, error: toError(err).message }, 'debug'),
      )
  }

  async *findProviders(
    cidText: string,
    options: { signal?: AbortSignal; limit?: number } = {},
  ): AsyncGenerator<ProviderResult> {
    const { cid, text } = parseCid(cidText)
    const start = Date.now()
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    const stop = new AbortController()
    const signal = AbortSignal.any([
      this.#signal(options.signal, this.#init.dhtTimeoutMs ?? D.DEFAULT_ROUTING_DHT_TIMEOUT_MS),
      stop.signal,
    ])
    const queue: ProviderResult[] = []
    let wake: (() => void) | undefined
    let pending = 0
    const push = (r: ProviderResult) => {
      queue.push(r)
      wake?.()
    }
    const run = (what: RoutingSource, body: () => Promise<void>) => {
      pending++
      body()
        .catch((err: unknown) => {
          if (!signal.aborted || options.signal?.aborted === true) {
            this.#ctx.events(
              'routing.lookup-failed',
              { cid: text, source: what, error: toError(err).message },
              'debug',
            )
          }
        })
        .finally(() => {
          pending--
          wake?.()
        })
    }
    if (this.#edge !== undefined) {
      const edge = this.#edge
      run('edge', async () => {
        for (const p of await edge.providers(text, signal)) {
          push({ peerId: p.id, addrs: p.addrs, source: 'edge', hops: 1, ms: Date.now() - start })
        }
      })
    }
    run('dht', async () => {
      if (this.#neighbours.routingTableSize() === 0) return
      for await (const p of dhtProviders(this.#dht, cid, this.#ctx.node.peerId, { start, signal })) push(p)
    })
    const seen = new Set<string>()
    try {
      while (seen.size < limit) {
        const next = queue.shift()
        if (next !== undefined) {
          if (seen.has(next.peerId)) continue
          seen.add(next.peerId)
          yield next
          continue
        }
        if (pending === 0) break
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = undefined
      }
    } finally {
      stop.abort()
    }
  }

  async findPeer(peerText: string, options: { signal?: AbortSignal } = {}): Promise<PeerResult> {
    const peer: PeerId = parsePeerId(peerText)
    const id = peer.toString()
    const start = Date.now()
    const stop = new AbortController()
    const signal = AbortSignal.any([
      this.#signal(options.signal, this.#init.dhtTimeoutMs ?? D.DEFAULT_ROUTING_DHT_TIMEOUT_MS),
      stop.signal,
    ])
    const attempts: Promise<PeerResult>[] = []
    if (this.#edge !== undefined) {
      const edge = this.#edge
      attempts.push(
        edge.peer(id, signal).then((found) => {
          const hit = found.find((p) => p.id === id)
          // a record whose addresses the edge could not vouch for locates nothing: leave it to the DHT
          if (hit === undefined || hit.addrs.length === 0)
            throw new NotFoundError(`edge index does not know ${id}`)
          return { peerId: id, addrs: hit.addrs, source: 'edge', hops: 1, ms: Date.now() - start }
        }),
      )
    }
    attempts.push(
      this.#neighbours.routingTableSize() === 0
        ? Promise.reject(new NotFoundError('DHT routing table is empty'))
        : dhtFindPeer(this.#dht, peer, this.#ctx.node.peerId, { signal }).then((found) => {
            if (found === undefined) throw new NotFoundError(`DHT does not know ${id}`)
            return { peerId: id, addrs: found.addrs, source: 'dht', hops: found.hops, ms: Date.now() - start }
          }),
    )
    try {
      return await Promise.any(attempts)
    } catch {
      throw new NotFoundError(`peer ${id} was found neither by the edge index nor by the DHT`)
    } finally {
      stop.abort()
    }
  }

  async status(): Promise<RoutingStatus> {
    return {
      mode: this.#dht.getMode(),
      routingTableSize: this.#neighbours.routingTableSize(),
      neighbours: (await this.#neighbours.neighbourPeers()).map((p) => p.toString()),
      target: this.#init.neighbours ?? D.DEFAULT_NEIGHBOURS,
      provided: this.#provided.size,
    }
  }

  api(): RoutingService {
    return {
      provide: (cid, o) => this.provide(cid, o),
      unprovide: (cid) => this.unprovide(cid),
      findProviders: (cid, o) => this.findProviders(cid, o),
      findPeer: (peer, o) => this.findPeer(peer, o),
      status: () => this.status(),
    }
  }
}

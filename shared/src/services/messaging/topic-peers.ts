/**
 * Topic-peer discovery: how a subscriber finds other subscribers without the edge carrying messages.
 *
 * A home node is connected only to its relays until someone dials it, and GossipSub only learns a
 * peer's topics over a connection. So while a topic we are in has fewer than `want` known subscribers,
 * every `DEFAULT_PUBSUB_DISCOVERY_MS` we read the bootstrap document (`?peers=64`: peers holding
 * reservations, with circuit addresses) and dial up to `DEFAULT_PUBSUB_DIAL_PEERS` peers we are not
 * connected to, in random order. GossipSub's subscription exchange on each new connection then tells us
 * who is in the topic, and the mesh forms among them; the connections become direct where DCUtR can
 * upgrade them. The edge only answers an HTTP GET per round and splices circuits until then.
 * Once every topic has enough known subscribers, a slow round (`DEFAULT_PUBSUB_MAINTENANCE_MS`) still
 * dials `DEFAULT_PUBSUB_MAINTENANCE_DIAL_PEERS` random peers, so that groups of late joiners that only
 * found each other merge with the rest instead of staying a separate mesh.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { BOOTSTRAP_PATH, MAX_BOOTSTRAP_PEERS } from '../../constants.ts'
import * as D from '../../defaults.ts'
import { toError } from '../../errors.ts'
import { globalFetch } from '../../fetch-like.ts'
import type { ServiceContext } from '../../peer/service.ts'
import { type BootstrapDocument, parseBootstrapDocument } from '../../protocol/bootstrap.ts'

export interface TopicPeerFinderInit {
  ctx: ServiceContext
  /** Topics we are in, with the number of subscribers we know for each. */
  topics: () => Array<{ topic: string; subscribers: number }>
  /** Known subscribers wanted per topic before discovery rests (GossipSub's D). */
  want: number
}

/** Reads the edge's bootstrap document (the same one the shells read), with the network key if any. */
export async function readBootstrap(
  ctx: Pick<ServiceContext, 'edgeUrl' | 'networkKey' | 'fetch'>,
): Promise<BootstrapDocument> {
  const url = new URL(BOOTSTRAP_PATH, ctx.edgeUrl)
  url.searchParams.set('peers', String(MAX_BOOTSTRAP_PEERS))
  const headers: Record<string, string> = { accept: 'application/json' }
  if (ctx.networkKey !== undefined) headers.authorization = `Bearer ${ctx.networkKey}`
  const res = await (ctx.fetch ?? globalFetch)(url, {
    headers,
    signal: AbortSignal.timeout(D.DEFAULT_BOOTSTRAP_TIMEOUT_MS),
  })
  if (!res.ok) throw new Error(`bootstrap answered HTTP ${res.status}`)
  return parseBootstrapDocument(await res.json())
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

export class TopicPeerFinder {
  readonly #init: TopicPeerFinderInit
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = false
  #stopped = false

  constructor(init: TopicPeerFinderInit) {
    this.#init = init
  }

  /** Runs a round now (unless one is running) and keeps running rounds while needed. */
  kick(): void {
    if (this.#stopped || this.#running) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#running = true
    void this.#round()
      .catch((err: unknown) =>
        this.#init.ctx.events('pubsub.discovery-failed', { reason: toError(err).message }, 'debug'),
      )
      .finally(() => {
        this.#running = false
        if (this.#stopped || this.#init.topics().length === 0) return
        const wait = this.#needed() ? D.DEFAULT_PUBSUB_DISCOVERY_MS : D.DEFAULT_PUBSUB_MAINTENANCE_MS
        this.#timer = setTimeout(() => this.kick(), wait)
      })
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
  }

  #needed(): boolean {
    return this.#init.topics().some((t) => t.subscribers < this.#init.want)
  }

  async #round(): Promise<void> {
    if (this.#init.topics().length === 0) return
    const dial = this.#needed() ? D.DEFAULT_PUBSUB_DIAL_PEERS : D.DEFAULT_PUBSUB_MAINTENANCE_DIAL_PEERS
    const { ctx } = this.#init
    const doc = await readBootstrap(ctx)
    const self = ctx.node.peerId.toString()
    const skip = new Set([self, ...doc.relays.map((r) => r.peerId), ...doc.superPeers.map((p) => p.peerId)])
    const connected = new Set(ctx.node.getConnections().map((c) => c.remotePeer.toString()))
    const candidates = shuffle(doc.peers.filter((p) => !skip.has(p.peerId) && !connected.has(p.peerId)))
    const picked = candidates.slice(0, dial)
    const results = await Promise.allSettled(
      picked.map((p) =>
        ctx.node.dial(
          p.addrs.filter((a) => !a.includes('/webrtc')).map((a) => multiaddr(a)),
          { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(D.DEFAULT_DIAL_TIMEOUT_MS)]) },
        ),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled').length
    ctx.events(
      'pubsub.discovery',
      { candidates: candidates.length, dialled: picked.length, connected: ok },
      'debug',
    )
  }
}

/**
 * The tab as a peer: reads the bootstrap document (retrying with backoff, errors shown on the page),
 * builds the libp2p node once, keeps relay reservations, dials peers it learns about and upgrades those
 * links to WebRTC. `snapshot()` is everything the page draws.
 */
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_BROWSER_AUTO_DIAL_PEERS,
  DEFAULT_BROWSER_BOOTSTRAP_REFRESH_MS,
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_NODE_RESERVATIONS,
} from '../../shared/src/defaults.ts'
import { toError } from '../../shared/src/errors.ts'
import { type PeerEnvironment, ServiceHost } from '../../shared/src/peer/service.ts'
import type { BootstrapDocument, BootstrapPeer } from '../../shared/src/protocol/bootstrap.ts'
import { overlayServices } from '../../shared/src/services/index.ts'
import { Backoff, sleep, waitUntil } from './backoff.ts'
import { fetchBootstrap } from './bootstrap-client.ts'
import { EventLog } from './events.ts'
import { type Identity, loadIdentity } from './identity.ts'
import { ANSWERER_GRACE_MS, LinkManager } from './links.ts'
import { type BrowserPeer, createBrowserPeer } from './peer.ts'
import { RelayManager } from './relays.ts'
import { browserStorage } from './storage.ts'
import { Transfers } from './transfers.ts'
import { webRtcAvailable } from './transports.ts'
import type { DialOptions, LinkInfo, SendOptions, SendReport, Snapshot } from './types.ts'

export const NETWORK_KEY_STORAGE_KEY = 'edgeswarm:network-key'
/** Least time between two bootstrap re-reads triggered by failing relays (ms). */
const TROUBLE_REFRESH_MIN_MS = 2_000

export class BrowserApp {
  readonly events = new EventLog()
  node?: BrowserPeer
  relays?: RelayManager
  links?: LinkManager
  transfers?: Transfers
  /** The overlay services (shared/src/services) running in this tab. */
  services?: ServiceHost
  doc?: BootstrapDocument
  #identityCreated?: boolean
  #identityPersisted = true
  #autoDialing = false
  #lastTroubleRefresh = 0
  #autoDialRound = 0
  /** Auto-dial round in which a peer first appeared in the bootstrap document. */
  readonly #firstSeen = new Map<string, number>()
  #bootstrapError?: string
  #bootstrapRetryAt?: number
  #readyResolve!: () => void
  /** Resolves once the libp2p node runs (not necessarily reserved yet). */
  readonly ready = new Promise<void>((resolve) => {
    this.#readyResolve = resolve
  })

  async start(): Promise<void> {
    // the key (generated or read) is ready while the bootstrap request is in flight
    const identity = loadIdentity()
    const backoff = new Backoff()
    for (;;) {
      try {
        this.doc = await fetchBootstrap(this.#bootstrapOptions())
        this.#bootstrapError = undefined
        this.#bootstrapRetryAt = undefined
        backoff.reset()
        this.events.emit({
          event: 'bootstrap',
          result: 'ok',
          relays: this.doc.relays.length,
          peers: this.doc.peers.length,
        })
        break
      } catch (err) {
        const retry = backoff.next()
        this.#bootstrapError = toError(err).message
        this.#bootstrapRetryAt = Date.now() + retry
        this.events.emit({
          event: 'bootstrap',
          result: 'error',
          reason: this.#bootstrapError,
          retryInMs: retry,
        })
        await sleep(retry)
      }
    }
    await this.#startNode(this.doc, identity)
    void this.#refreshLoop()
  }

  async #startNode(doc: BootstrapDocument, loading: Promise<Identity>): Promise<void> {
    const identity = await loading
    this.#identityCreated = identity.created
    this.#identityPersisted = identity.persisted
    const networkKey = this.#networkKey()
    const reservations = Math.min(DEFAULT_NODE_RESERVATIONS, doc.relays.length)
    let relays: RelayManager | undefined
    const overlay = new ServiceHost(overlayServices())
    const env: PeerEnvironment = {
      runtime: 'browser',
      edgeUrl: location.origin,
      networkKey: doc.private ? networkKey : undefined,
      storage: browserStorage(),
      isPublic: () => false,
    }
    const node = await createBrowserPeer({
      overlay: overlay.libp2pServices(env),
      privateKey: identity.privateKey,
      reservations,
      iceServers: () => (this.doc?.stun ?? []).map((urls) => ({ urls })),
      ...(doc.private && networkKey !== undefined ? { networkKey } : {}),
      onReservationError: (relay, reason) => relays?.onReservationError(relay, reason),
    })
    this.node = node
    this.events.emit({
      event: 'identity',
      result: identity.created ? 'created' : 'loaded',
      peerId: node.peerId.toString(),
    })
    if (!webRtcAvailable()) {
      this.events.emit({
        event: 'webrtc',
        result: 'unavailable',
        reason: 'RTCPeerConnection is not available in this browser',
      })
    }
    relays = new RelayManager(node, this.events, reservations, () => this.#refreshSoon())
    relays.update(doc.relays)
    this.relays = relays
    this.links = new LinkManager(node, this.events, (p) => relays.shardOf(p))
    this.transfers = new Transfers(node, this.links, this.events)
    await this.transfers.start()
    this.links.start()
    relays.start()
    await overlay.start({
      ...env,
      node: node as never,
      events: (name, fields = {}, level = 'info') =>
        this.events.emit({ ...fields, event: name as `${string}.${string}`, level }),
    })
    this.services = overlay
    this.#readyResolve()
  }

  #bootstrapOptions() {
    const networkKey = this.#networkKey()
    return networkKey === undefined ? {} : { networkKey }
  }

  #networkKey(): string | undefined {
    const fromUrl = new URLSearchParams(location.search).get('key')
    if (fromUrl !== null && fromUrl !== '') {
      localStorage.setItem(NETWORK_KEY_STORAGE_KEY, fromUrl)
      // keep the secret out of the address bar, history and screenshots
      const url = new URL(location.href)
      url.searchParams.delete('key')
      history.replaceState(null, '', url)
    }
    return localStorage.getItem(NETWORK_KEY_STORAGE_KEY) ?? undefined
  }

  async #refreshLoop(): Promise<void> {
    const backoff = new Backoff(DEFAULT_BROWSER_BOOTSTRAP_REFRESH_MS, 60_000)
    for (;;) {
      this.#autoDial()
      const wait = this.#bootstrapError === undefined ? DEFAULT_BROWSER_BOOTSTRAP_REFRESH_MS : backoff.next()
      this.#bootstrapRetryAt = this.#bootstrapError === undefined ? undefined : Date.now() + wait
      await sleep(wait)
      await this.refreshBootstrap().catch(() => undefined)
      if (this.#bootstrapError === undefined) backoff.reset()
    }
  }

  /** A relay failed: re-read the bootstrap document now (at most every 2 s) instead of at the next round. */
  #refreshSoon(): void {
    if (Date.now() - this.#lastTroubleRefresh < TROUBLE_REFRESH_MIN_MS) return
    this.#lastTroubleRefresh = Date.now()
    void this.refreshBootstrap().catch(() => undefined)
  }

  /** Re-reads the bootstrap document; errors are shown on the page and retried by the refresh loop. */
  async refreshBootstrap(): Promise<BootstrapDocument> {
    try {
      const doc = await fetchBootstrap(this.#bootstrapOptions())
      this.doc = doc
      this.#bootstrapError = undefined
      this.relays?.update(doc.relays)
      return doc
    } catch (err) {
      this.#bootstrapError = toError(err).message
      this.events.emit({ event: 'bootstrap', result: 'error', reason: this.#bootstrapError })
      throw err
    }
  }

  /**
   * Connects to peers from the bootstrap document, so the page shows the overlay around it. Of two
   * tabs, the smaller peer ID dials; a peer with a larger ID that has not dialled us within one round
   * (a Node daemon does not dial tabs on its own) is dialled then. Runs in the background.
   */
  #autoDial(): void {
    const node = this.node
    if (node === undefined || this.#autoDialing) return
    const me = node.peerId.toString()
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()))
    const peers = new Set([...this.links!.links.values()].filter((l) => !l.toRelay).map((l) => l.peer))
    const round = ++this.#autoDialRound
    const candidates = this.#known().filter((p) => {
      if (connected.has(p.peerId)) return false
      if (!this.#firstSeen.has(p.peerId)) this.#firstSeen.set(p.peerId, round)
      return me < p.peerId || round > this.#firstSeen.get(p.peerId)!
    })
    const room = Math.max(0, DEFAULT_BROWSER_AUTO_DIAL_PEERS - peers.size)
    if (candidates.length === 0 || room === 0) return
    this.#autoDialing = true
    void Promise.allSettled(candidates.slice(0, room).map((p) => this.#dialRelayed(p))).finally(() => {
      this.#autoDialing = false
    })
  }

  #known(): BootstrapPeer[] {
    const me = this.node?.peerId.toString()
    return (this.doc?.peers ?? []).filter((p) => p.peerId !== me)
  }

  /** Dials `peer` through a relay; `force` opens a new circuit even when another connection exists. */
  async #dialRelayed(peer: BootstrapPeer, force = false) {
    const addrs = peer.addrs.filter((a) => a.includes('/p2p-circuit') && !a.includes('/webrtc'))
    return this.node!.dial(
      addrs.map((a) => multiaddr(a)),
      { signal: AbortSignal.timeout(DEFAULT_DIAL_TIMEOUT_MS), force },
    )
  }

  async #findPeer(peerId: string, deadline: number): Promise<BootstrapPeer | undefined> {
    let peer = this.#known().find((p) => p.peerId === peerId)
    while (peer === undefined && Date.now() < deadline) {
      await this.refreshBootstrap().catch(() => undefined)
      peer = this.#known().find((p) => p.peerId === peerId)
      if (peer === undefined) await sleep(500)
    }
    return peer
  }

  /** Sends `size` random bytes to `peerId` over the path asked for, connecting first when needed. */
  async send(peerId: string, size: number, opts: SendOptions = {}): Promise<SendReport> {
    await this.ready
    const path = opts.path ?? 'auto'
    if (path === 'direct') await this.dial(peerId, { direct: true })
    else if (path === 'relay' && this.links!.best(peerId, 'relay') === undefined) {
      const peer = await this.#findPeer(peerId, Date.now() + 30_000)
      if (peer === undefined) throw new Error(`peer ${peerId} is not in the bootstrap document`)
      await this.#dialRelayed(peer, true)
      await waitUntil(() => this.links!.best(peerId, 'relay') !== undefined, 10_000)
    } else if (this.links!.best(peerId) === undefined) await this.dial(peerId)
    return this.transfers!.send(peerId, size, opts)
  }

  /** Reaches `peerId` (through a relay, then WebRTC when possible); resolves with the best path. */
  async dial(peerId: string, opts: DialOptions = {}): Promise<LinkInfo> {
    await this.ready
    const timeoutMs = opts.timeoutMs ?? 30_000
    const started = Date.now()
    const deadline = started + timeoutMs
    if (this.links!.best(peerId) === undefined) {
      // not connected yet: its circuit addresses come from the (possibly refreshed) bootstrap document
      const peer = await this.#findPeer(peerId, deadline)
      if (peer === undefined) throw new Error(`peer ${peerId} is not in the bootstrap document`)
      await this.#dialRelayed(peer)
    }
    for (;;) {
      const direct = this.links!.best(peerId, 'direct')
      const best = direct ?? this.links!.best(peerId)
      const info = best === undefined ? undefined : this.links!.links.get(best.id)
      if (info !== undefined && (!opts.direct || direct !== undefined)) return { ...info }
      if (opts.direct && !webRtcAvailable()) throw new Error('WebRTC is not available in this browser')
      if (Date.now() > deadline) {
        throw new Error(`no ${opts.direct ? 'direct ' : ''}connection to ${peerId} within ${timeoutMs} ms`)
      }
      const relayed = this.links!.best(peerId, 'relay')
      const ourTurn = this.links!.initiates(peerId) || Date.now() - started > ANSWERER_GRACE_MS
      if (opts.direct && relayed !== undefined && ourTurn && this.links!.upgradeDue(peerId)) {
        await this.links!.upgrade(relayed)
      } else await sleep(250)
    }
  }

  snapshot(): Snapshot {
    const relays = this.relays?.statuses() ?? []
    const links = [...(this.links?.links.values() ?? [])].map((l) => ({ ...l }))
    const reserved = relays.filter((r) => r.state === 'reserved')
    const errors: string[] = []
    if (this.#bootstrapError !== undefined) errors.push(this.#bootstrapError)
    for (const r of relays) {
      if (r.reason === undefined || !r.wanted || r.state === 'reserved') continue
      const retry =
        r.retryAt === undefined
          ? ''
          : ` (retrying in ${Math.max(0, Math.ceil((r.retryAt - Date.now()) / 1000))} s)`
      errors.push(`shard ${r.shard}: ${r.reason}${retry}`)
    }
    const webrtcErrors = [...(this.links?.webrtcErrors ?? new Map<string, string>())]
    const webrtcError = webrtcErrors.at(-1)?.[1]
    if (!this.#identityPersisted) {
      errors.push('this browser does not let the page keep its identity: a reload gets a new peer ID')
    }
    if (!webRtcAvailable())
      errors.push('WebRTC is not available in this browser: every link goes through a relay')
    for (const [peer, reason] of webrtcErrors.slice(-3)) {
      errors.push(
        `WebRTC to …${peer.slice(-6)} blocked or failed: ${reason} (using the relay, retrying later)`,
      )
    }
    const reachability =
      reserved.length > 0
        ? `reachable through ${reserved.length} relay${reserved.length > 1 ? 's' : ''} (shard ${reserved.map((r) => r.shard).join(', ')})${webRtcAvailable() ? ', direct via WebRTC when possible' : ', relay only'}`
        : this.node === undefined
          ? 'starting'
          : 'not reachable yet (no relay reservation)'
    return {
      ...(this.node === undefined ? {} : { peerId: this.node.peerId.toString() }),
      ...(this.#identityCreated === undefined ? {} : { identityCreated: this.#identityCreated }),
      webrtc: { available: webRtcAvailable(), ...(webrtcError === undefined ? {} : { error: webrtcError }) },
      bootstrap: {
        ok: this.#bootstrapError === undefined && this.doc !== undefined,
        ...(this.#bootstrapError === undefined ? {} : { error: this.#bootstrapError }),
        ...(this.#bootstrapRetryAt === undefined ? {} : { retryAt: this.#bootstrapRetryAt }),
        ...(this.doc === undefined ? {} : { network: this.doc.network, private: this.doc.private }),
      },
      relays,
      links,
      known: this.#known(),
      reachability,
      errors,
    }
  }
}

/**
 * The tab as a peer: the peer core (shared/src/peer) around a js-libp2p node built from the browser's
 * transports and the identity in localStorage. Reads the bootstrap document (retrying with backoff,
 * errors shown on the page), dials a few peers it learns about so the page shows the overlay, and
 * answers `snapshot()`: everything the page draws.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import pTimeout from 'p-timeout'
import { BOOTSTRAP_PATH } from '#shared/constants.ts'
import {
  DEFAULT_BROWSER_AUTO_DIAL_PEERS,
  DEFAULT_BROWSER_BOOTSTRAP_REFRESH_MS,
  DEFAULT_BROWSER_DIAL_WAIT_MS,
  DEFAULT_TRANSFER_TIMEOUT_MS,
} from '#shared/defaults.ts'
import { BootstrapSource } from '#shared/peer/bootstrap-client.ts'
import { peerEvents } from '#shared/peer/events.ts'
import { PeerCore } from '#shared/peer/peer-core.ts'
import { type PeerEnvironment, ServiceHost } from '#shared/peer/service.ts'
import type { SendReport } from '#shared/peer/transfer.ts'
import type { BootstrapPeer } from '#shared/protocol/bootstrap.ts'
import { overlayServices } from '#shared/services/index.ts'
import { MailboxDrain } from '#shared/services/messaging/mailbox-drain.ts'
import { EventLog } from './events.ts'
import { loadIdentity } from './identity.ts'
import { BROWSER_AGENT, createBrowserPeer } from './peer.ts'
import { browserStorage } from './storage.ts'
import { webRtcAvailable } from './transports.ts'
import type { DialOptions, LinkInfo, PeerRole, SendOptions, Snapshot } from './types.ts'

export const NETWORK_KEY_STORAGE_KEY = 'edgeswarm:network-key'

/** The network key: from `?key=` once (then kept in localStorage and removed from the address bar). */
function networkKey(): string | undefined {
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

export class BrowserApp {
  /** The decision log the page shows (main.ts draws it). */
  readonly events = new EventLog()
  readonly #events = peerEvents(this.events.sink)
  readonly #key = networkKey()
  readonly source = new BootstrapSource({
    url: `${location.origin}${BOOTSTRAP_PATH}`,
    events: this.#events,
    ...(this.#key === undefined ? {} : { networkKey: this.#key }),
    unauthorized: (status, hadKey) =>
      hadKey
        ? `the network key was refused (HTTP ${status}): open the page with the right ?key=`
        : 'this network is private: open the page with ?key=<network key> to join',
  })
  node?: Libp2p
  core?: PeerCore
  /** The overlay services (shared/src/services) running in this tab. */
  services?: ServiceHost
  #identity?: { created: boolean; persisted: boolean }
  readonly #agents = new Map<string, string>()
  /** Peers seen in earlier auto-dial rounds: a larger peer ID that never dialled us is dialled then. */
  readonly #seen = new Set<string>()
  #autoDialing = false
  #readyResolve!: () => void
  /** Resolves once the libp2p node runs (not necessarily reserved yet). */
  readonly ready = new Promise<void>((resolve) => {
    this.#readyResolve = resolve
  })

  async start(): Promise<void> {
    // the key (generated or read) is ready while the bootstrap request is in flight
    const storage = browserStorage()
    // offline messages need only the key and the edge: fetch them while everything else starts
    const early = loadIdentity().then((identity) => {
      const drain = new MailboxDrain({
        privateKey: identity.privateKey,
        edgeUrl: location.origin,
        networkKey: this.#key,
        storage,
        events: this.events.sink,
      })
      drain.poll()
      return { identity, drain }
    })
    const [{ identity, drain }, doc] = await Promise.all([early, this.source.loadWithRetry()])
    this.#identity = identity
    const overlay = new ServiceHost(overlayServices({ messages: { drain } }))
    const env: PeerEnvironment = {
      runtime: 'browser',
      edgeUrl: location.origin,
      networkKey: doc.private ? this.#key : undefined,
      storage,
      isPublic: () => false,
    }
    const { node, circuit } = await createBrowserPeer({
      privateKey: identity.privateKey,
      iceServers: () => (this.source.doc?.stun ?? []).map((urls) => ({ urls })),
      networkKey: env.networkKey,
      services: overlay.libp2pServices(env),
    })
    this.node = node
    this.#events('identity.loaded', { peerId: node.peerId.toString(), created: identity.created })
    if (!webRtcAvailable()) {
      this.#events('webrtc.unavailable', { reason: 'RTCPeerConnection is not available in this browser' })
    }
    node.addEventListener('peer:identify', (evt) => {
      this.#agents.set(evt.detail.peerId.toString(), evt.detail.agentVersion ?? '')
    })
    const core = new PeerCore({
      node,
      source: this.source,
      transport: circuit,
      events: this.#events,
      webrtc: webRtcAvailable(),
      // a tab can only reach TCP/WS addresses through WebSockets; none of its peers' are public in practice
      isPublicAddr: () => false,
    })
    this.core = core
    await core.start()
    this.source.onUpdate(() => this.#autoDial())
    this.source.startRefreshing(DEFAULT_BROWSER_BOOTSTRAP_REFRESH_MS)
    await overlay.start({ ...env, node: node as never, events: this.events.sink })
    this.services = overlay
    this.#readyResolve()
    this.#autoDial()
  }

  /**
   * Connects to peers from the bootstrap document, so the page shows the overlay around it. Of two
   * tabs, the smaller peer ID dials; a peer with a larger ID that has not dialled us within one round
   * (a Node daemon does not dial tabs on its own) is dialled then. Runs in the background.
   */
  #autoDial(): void {
    const { node, core } = this
    if (node === undefined || core === undefined || this.#autoDialing) return
    const me = node.peerId.toString()
    const connected = new Set(node.getConnections().map((c) => c.remotePeer.toString()))
    const peers = [...connected].filter((p) => !core.isRelay(p)).length
    const candidates = this.#known().filter((p) => {
      if (connected.has(p.peerId)) return false
      const due = me < p.peerId || this.#seen.has(p.peerId)
      this.#seen.add(p.peerId)
      return due
    })
    const room = Math.max(0, DEFAULT_BROWSER_AUTO_DIAL_PEERS - peers)
    if (candidates.length === 0 || room === 0) return
    this.#autoDialing = true
    const dials = candidates.slice(0, room).map((p) => core.connect(peerIdFromString(p.peerId), 'relayed'))
    void Promise.allSettled(dials).finally(() => {
      this.#autoDialing = false
    })
  }

  #known(): BootstrapPeer[] {
    const me = this.node?.peerId.toString()
    return (this.source.doc?.peers ?? []).filter((p) => p.peerId !== me)
  }

  /** Sends `size` random bytes to `peerId` over the path asked for, connecting first when needed. */
  async send(peerId: string, size: number, opts: SendOptions = {}): Promise<SendReport> {
    await this.ready
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS
    return this.core!.send(peerIdFromString(peerId), size, opts.path ?? 'any', timeoutMs)
  }

  /** Reaches `peerId` (through a relay, then direct when possible); resolves with the best path. */
  async dial(peerId: string, opts: DialOptions = {}): Promise<LinkInfo> {
    await this.ready
    const core = this.core!
    const timeoutMs = opts.timeoutMs ?? DEFAULT_BROWSER_DIAL_WAIT_MS
    if (opts.direct && !webRtcAvailable()) throw new Error('WebRTC is not available in this browser')
    const started = Date.now()
    const peer = peerIdFromString(peerId)
    const label = `${opts.direct ? 'direct ' : ''}connection to ${peerId} within ${timeoutMs} ms`
    await pTimeout(core.connect(peer), { milliseconds: timeoutMs, message: `no ${label}` })
    if (opts.direct) {
      void core.paths.upgrade(peer)
      const direct = await core.paths.whenDirect(peer, Math.max(0, timeoutMs - (Date.now() - started)))
      if (!direct) throw new Error(`no ${label}`)
    }
    const best = core.paths.best(peer)
    if (best === undefined) throw new Error(`no ${label}`)
    return this.#link(best)
  }

  #role(peer: string): PeerRole {
    if (this.core?.isRelay(peer) === true) return 'relay'
    const agent = this.#agents.get(peer) ?? ''
    if (agent.startsWith(BROWSER_AGENT)) return 'browser'
    // js-libp2p's agent version ends in ` node/<version>` under Node.js (libp2p/src/user-agent.ts)
    if (/(^| )node\/\d/.test(agent) || agent.startsWith('edgeswarm-node')) return 'node'
    return 'peer'
  }

  #link(conn: Connection): LinkInfo {
    const core = this.core!
    const view = core.paths.describe(conn)
    const toRelay = core.isRelay(view.peer)
    const shard = core.shards.shardOf(view.peer)
    return {
      ...view,
      toRelay,
      role: this.#role(view.peer),
      label: toRelay
        ? `WebSocket to ${shard === undefined ? 'super-peer' : `shard ${shard}`}`
        : core.label(view),
    }
  }

  snapshot(): Snapshot {
    const relays = this.core?.shards.statuses() ?? []
    const links = (this.node?.getConnections() ?? [])
      .filter((c) => c.status === 'open')
      .map((c) => this.#link(c))
    const reserved = relays.filter((r) => r.state === 'reserved')
    const bootstrapError = this.source.error
    const errors: string[] = []
    if (bootstrapError !== undefined) errors.push(bootstrapError.message)
    for (const r of relays) {
      if (r.reason === undefined || !r.wanted || r.state === 'reserved') continue
      const retry =
        r.retryAt === undefined
          ? ''
          : ` (retrying in ${Math.max(0, Math.ceil((r.retryAt - Date.now()) / 1000))} s)`
      errors.push(`shard ${r.shard}: ${r.reason}${retry}`)
    }
    const webrtcErrors = this.core?.paths.upgradeErrors() ?? []
    const webrtcError = webrtcErrors.at(-1)?.[1]
    if (this.#identity?.persisted === false) {
      errors.push('this browser does not let the page keep its identity: a reload gets a new peer ID')
    }
    if (!webRtcAvailable())
      errors.push('WebRTC is not available in this browser: every link goes through a relay')
    for (const [peer, reason] of webrtcErrors.slice(-3)) {
      errors.push(
        `WebRTC to …${peer.slice(-6)} blocked or failed: ${reason} (using the relay, retrying later)`,
      )
    }
    const shards = reserved.map((r) => r.shard).join(', ')
    const reachability =
      reserved.length > 0
        ? `reachable through ${reserved.length} relay${reserved.length > 1 ? 's' : ''} (shard ${shards})${webRtcAvailable() ? ', direct via WebRTC when possible' : ', relay only'}`
        : this.node === undefined
          ? 'starting'
          : 'not reachable yet (no relay reservation)'
    const doc = this.source.doc
    return {
      ...(this.node === undefined ? {} : { peerId: this.node.peerId.toString() }),
      ...(this.#identity === undefined ? {} : { identityCreated: this.#identity.created }),
      webrtc: { available: webRtcAvailable(), ...(webrtcError === undefined ? {} : { error: webrtcError }) },
      bootstrap: {
        ok: bootstrapError === undefined && doc !== undefined,
        ...(bootstrapError === undefined ? {} : { error: bootstrapError.message }),
        ...(bootstrapError?.retryAt === undefined ? {} : { retryAt: bootstrapError.retryAt }),
        ...(doc === undefined ? {} : { network: doc.network, private: doc.private }),
      },
      relays,
      links,
      known: this.#known(),
      reachability,
      errors,
    }
  }
}

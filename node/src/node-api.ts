/**
 * What the control API (and `npm start`) can ask of a running node: status, dial, ping, send.
 * Every answer is plain JSON; the path of a connection comes from PathManager.describe().
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import * as D from '../../shared/src/defaults.ts'
import { InvalidInputError, TimeoutError, toError } from '../../shared/src/errors.ts'
import type { BootstrapDocument } from '../../shared/src/protocol/bootstrap.ts'
import { fetchBootstrap } from './bootstrap-client.ts'
import type { ControlHandler } from './control/server.ts'
import type { EventSink } from './events.ts'
import type { ReachabilityTracker } from './nat/reachability.ts'
import type { NodeOptions } from './options.ts'
import { isRelayed } from './path/classify.ts'
import type { ConnectionView, PathManager } from './path/manager.ts'
import { pingConnection } from './path/probe.ts'
import type { ReservationKeeper } from './relay/reservations.ts'
import type { SuperPeer } from './relay/super-peer.ts'
import { handleTransfers, sendTransfer, type TransferRecord } from './transfer.ts'

export interface NodeApiInit {
  node: Libp2p
  options: NodeOptions
  doc: BootstrapDocument
  keeper: ReservationKeeper
  /** Reservations on home super-peers (bootstrap `superPeers`). */
  superPeers?: ReservationKeeper
  paths: PathManager
  reachability: ReachabilityTracker
  superPeer?: SuperPeer | undefined
  events: EventSink
}

type PathChoice = 'any' | 'direct' | 'relayed'

/** How long a send/ping whose connection died keeps retrying (ms): a relay reconnect takes 0.5-2 s. */
const RETRY_WINDOW_MS = 10_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function peerArg(body: Record<string, unknown>): PeerId {
  const raw = body.peer
  if (typeof raw !== 'string') throw new InvalidInputError('peer must be a peer ID string')
  try {
    return peerIdFromString(raw)
  } catch {
    throw new InvalidInputError(
      `peer must be a peer ID such as 12D3KooW..., got ${JSON.stringify(raw.slice(0, 80))}`,
    )
  }
}

function intArg(body: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const v = body[name] ?? def
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidInputError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`)
  }
  return v
}

export class NodeApi {
  readonly #i: NodeApiInit
  readonly #received: TransferRecord[] = []
  #doc: BootstrapDocument

  constructor(init: NodeApiInit) {
    this.#i = init
    this.#doc = init.doc
  }

  async start(): Promise<void> {
    await handleTransfers(
      this.#i.node,
      (c) => this.#pathLabel(this.#i.paths.describe(c)),
      (record) => {
        this.#received.push(record)
        if (this.#received.length > D.DEFAULT_TRANSFER_HISTORY) this.#received.shift()
        this.#i.events('transfer.received', { ...record })
      },
    )
  }

  routes(): Record<string, ControlHandler> {
    return {
      'GET /v1/status': () => this.status(),
      'POST /v1/dial': (b) => this.dial(peerArg(b), intArg(b, 'waitDirectMs', 0, 0, 600_000)),
      'POST /v1/ping': (b) => this.ping(peerArg(b), intArg(b, 'count', 1, 1, 100)),
      'POST /v1/send': (b) =>
        this.send(peerArg(b), intArg(b, 'bytes', 0, 0, D.MAX_SEND_BYTES), this.#pathChoice(b.path)),
      'GET /v1/transfers': async () => ({ received: [...this.#received] }),
    }
  }

  #pathChoice(raw: unknown): PathChoice {
    const v = raw ?? 'any'
    if (v !== 'any' && v !== 'direct' && v !== 'relayed') {
      throw new InvalidInputError(`path must be one of any, direct, relayed, got ${JSON.stringify(v)}`)
    }
    return v
  }

  #pathLabel(v: ConnectionView): string {
    if (v.path !== 'relayed') return v.path
    if (v.shard !== undefined) return `relayed via shard ${v.shard}`
    const superPeer = v.relay !== undefined && this.#i.superPeers?.has(v.relay) === true
    return `relayed via ${superPeer ? 'super-peer' : 'peer'} ${v.relay}`
  }

  async status() {
    const { node, keeper, paths, reachability, superPeer } = this.#i
    const conns = node.getConnections().filter((c) => c.status === 'open')
    await Promise.all(conns.map((c) => paths.measure(c)))
    return {
      peerId: node.peerId.toString(),
      network: this.#doc.network,
      bootstrap: this.#i.options.bootstrapUrl,
      ...reachability.get(),
      addrs: node.getMultiaddrs().map((a) => a.toString()),
      reservations: [...keeper.list(), ...(this.#i.superPeers?.list() ?? [])],
      connections: conns.map((c) => {
        const v = paths.describe(c)
        return {
          ...v,
          role: keeper.shardOf(v.peer) !== undefined ? 'relay' : 'peer',
          label: this.#pathLabel(v),
        }
      }),
      relay: superPeer?.stats() ?? null,
      received: this.#received.length,
    }
  }

  /** Circuit addresses of `peer` through every shard and super-peer we know (it may have reserved on any). */
  circuitAddrsFor(peer: PeerId): Multiaddr[] {
    const out: string[] = []
    const relays = [...this.#i.keeper.relays(), ...(this.#i.superPeers?.relays() ?? [])]
    for (const r of relays) {
      if (r.peerId === peer.toString()) continue
      for (const a of r.addrs) out.push(`${a}/p2p-circuit/p2p/${peer}`)
    }
    return out.map((a) => multiaddr(a))
  }

  async #candidates(peer: PeerId): Promise<Multiaddr[]> {
    const id = peer.toString()
    let listed = this.#doc.peers.find((p) => p.peerId === id)
    if (listed === undefined) {
      // a fresh document may list the peer (it reserved after we joined)
      try {
        this.#doc = await fetchBootstrap(
          this.#i.options.bootstrapUrl,
          this.#i.options.networkKey === undefined ? {} : { networkKey: this.#i.options.networkKey },
        )
        listed = this.#doc.peers.find((p) => p.peerId === id)
      } catch (err) {
        this.#i.events('bootstrap.failed', { reason: toError(err).message }, 'warn')
      }
    }
    const stored = await this.#i.node.peerStore.get(peer).catch(() => undefined)
    const all = [
      ...(stored?.addresses ?? []).map((a) => a.multiaddr.toString()),
      ...(listed?.addrs ?? []),
      ...this.circuitAddrsFor(peer).map((a) => a.toString()),
    ]
      .filter((a) => !a.includes('/webrtc'))
      .map((a) => (a.endsWith(`/p2p/${id}`) ? a : `${a}/p2p/${id}`))
    return [...new Set(all)].map((a) => multiaddr(a))
  }

  /** An open connection to `peer` (verified direct preferred), dialling through relays if needed. */
  async connect(peer: PeerId, choice: PathChoice = 'any'): Promise<Connection> {
    const { node, paths } = this.#i
    if (peer.equals(node.peerId)) throw new InvalidInputError('cannot dial ourselves')
    let conn = choice === 'relayed' ? paths.relayed(peer) : paths.best(peer)
    if (conn === undefined) {
      let addrs = await this.#candidates(peer)
      if (choice === 'relayed') addrs = addrs.filter(isRelayed)
      try {
        conn = await node.dial(addrs, {
          signal: AbortSignal.timeout(D.DEFAULT_DIAL_TIMEOUT_MS),
          // a direct connection may exist: do not let libp2p hand it back
          force: choice === 'relayed',
        })
      } catch (err) {
        throw new InvalidInputError(`cannot reach ${peer}: ${toError(err).message.split('\n')[0]}`)
      }
      if (!isRelayed(conn.remoteAddr)) await paths.verify(conn)
      conn = (choice === 'relayed' ? paths.relayed(peer) : paths.best(peer)) ?? conn
    }
    if (choice === 'direct' && isRelayed(conn.remoteAddr)) {
      await paths.upgrade(peer)
      const direct = paths.best(peer)
      if (direct === undefined || isRelayed(direct.remoteAddr)) {
        throw new InvalidInputError(
          `no verified direct connection to ${peer} (see path.relay-fallback events)`,
        )
      }
      return direct
    }
    return conn
  }

  async dial(peer: PeerId, waitDirectMs: number) {
    const conn = await this.connect(peer)
    if (waitDirectMs > 0 && !this.#i.paths.hasVerifiedDirect(peer)) {
      const deadline = Date.now() + waitDirectMs
      void this.#i.paths.upgrade(peer)
      while (Date.now() < deadline && !this.#i.paths.hasVerifiedDirect(peer)) {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const best = this.#i.paths.best(peer) ?? conn
    const view = this.#i.paths.describe(best)
    return { ...view, label: this.#pathLabel(view), direct: this.#i.paths.hasVerifiedDirect(peer) }
  }

  /**
   * Runs `op` on the best connection; when it fails on a direct one, re-checks that connection (a dead
   * one is closed, `path.relay-fallback`) and runs `op` once more on what is left (normally the relay).
   */
  async #withFallback<T>(peer: PeerId, choice: PathChoice, op: (c: Connection) => Promise<T>) {
    const conn = await this.connect(peer, choice)
    try {
      return { conn, out: await op(conn) }
    } catch (err) {
      // a reset stream often arrives just before its connection's close
      for (let i = 0; i < 20 && conn.status === 'open'; i++) await sleep(50)
      const gone = conn.status !== 'open'
      if (
        !gone &&
        (choice === 'direct' || isRelayed(conn.remoteAddr) || (await this.#i.paths.verify(conn)))
      ) {
        throw err
      }
      // the connection went away (a relay dropped it, the edge restarted, a dead direct path): one more
      // try on a fresh one, giving the peer time to re-reserve on its relays
      this.#i.events('path.retry', { peer: peer.toString(), reason: toError(err).message, gone }, 'warn')
      const deadline = Date.now() + RETRY_WINDOW_MS
      for (;;) {
        try {
          const again = await this.connect(peer, choice)
          return { conn: again, out: await op(again) }
        } catch (retryErr) {
          if (Date.now() > deadline) throw retryErr
          await sleep(1_000)
        }
      }
    }
  }

  async ping(peer: PeerId, count: number) {
    const { conn, out: rttsMs } = await this.#withFallback(peer, 'any', async (c) => {
      const rtts: number[] = []
      for (let i = 0; i < count; i++) {
        try {
          rtts.push(await pingConnection(c, D.DEFAULT_PATH_VERIFY_TIMEOUT_MS))
        } catch (err) {
          const label = this.#pathLabel(this.#i.paths.describe(c))
          throw new TimeoutError(`ping ${peer} over ${label} failed: ${toError(err).message}`)
        }
      }
      return rtts
    })
    const view = this.#i.paths.describe(conn)
    return {
      peer: peer.toString(),
      path: view.path,
      label: this.#pathLabel(view),
      rttsMs,
      remoteAddr: view.remoteAddr,
    }
  }

  async send(peer: PeerId, bytes: number, choice: PathChoice) {
    const { conn, out } = await this.#withFallback(peer, choice, (c) => sendTransfer(c, bytes))
    const view = this.#i.paths.describe(conn)
    return {
      peer: peer.toString(),
      ...out,
      match: out.remoteSha256 === out.sha256,
      path: view.path,
      label: this.#pathLabel(view),
      ...(view.shard === undefined ? {} : { shard: view.shard }),
      remoteAddr: view.remoteAddr,
      mbps: out.ms === 0 ? null : Math.round((bytes / 1e6 / (out.ms / 1000)) * 10) / 10,
    }
  }
}

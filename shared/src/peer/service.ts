/**
 * The seam where overlay services (routing, files, messaging, compute) plug into a peer, once for both
 * runtimes. A service is written once in `shared/src/services/<name>/`; the home node and the browser
 * each hand it the same {@link ServiceContext}, differing only in the capabilities they inject
 * (storage, transports). A service never imports `node:*`, `cloudflare:*` or DOM-only APIs.
 *
 * Lifecycle: `libp2p()` is read before the libp2p node is created (a service may need a libp2p
 * service such as GossipSub or the Kademlia DHT mounted at creation time); `start()` runs once the
 * node is up, in list order, so a later service may use an earlier one through `ctx.service(name)`;
 * `stop()` runs in reverse order before the node stops.
 *
 * @example
 * ```ts
 * const echo: PeerService<{ count(): number }> = {
 *   name: 'echo',
 *   async start(ctx) {
 *     let n = 0
 *     await ctx.node.handle('/edgeswarm/echo/1.0.0', ({ stream }) => { n++; void stream.close() })
 *     return { count: () => n }
 *   },
 * }
 * const host = new ServiceHost([echo])
 * const node = await createLibp2p({ services: { ...base, ...host.libp2pServices(env) } })
 * await host.start({ ...env, node, events })
 * host.get<{ count(): number }>('echo')?.count()
 * ```
 */
import type { Libp2p } from '@libp2p/interface'
import type { FetchLike } from '../fetch-like.ts'
import type { PeerStorage } from './storage.ts'

export type EventLevel = 'error' | 'warn' | 'info' | 'debug'
export type EventFields = Record<string, unknown>
/** One structured event: `area.what` name (e.g. `pubsub.message`), stable fields. */
export type EventSink = (name: string, fields?: EventFields, level?: EventLevel) => void

/** What a runtime (home node or tab) provides to every service: capabilities, not implementations. */
export interface PeerEnvironment {
  /** Which shell runs the service; for decisions such as DHT server vs client, never for API choice. */
  runtime: 'node' | 'browser'
  /** The edge's base URL (the bootstrap URL), for the edge's HTTP APIs. */
  edgeUrl: string
  /** Private overlay: the network key (bearer credential for the edge's HTTP APIs). */
  networkKey?: string | undefined
  /** Persistent storage: files under the data dir on a node, IndexedDB in a tab. */
  storage: PeerStorage
  /** True when the peer has proven public reachability (may serve as a DHT server / super-peer). */
  isPublic: () => boolean
  /** HTTP client for the edge's APIs. @default the runtime's `fetch` (shared/src/fetch-like.ts) */
  fetch?: FetchLike
}

export interface ServiceContext extends PeerEnvironment {
  /** The started libp2p node. */
  node: Libp2p<Record<string, unknown>>
  events: EventSink
  /** Another service's API, started earlier in the list; undefined when that service is not running. */
  service: <T>(name: string) => T | undefined
  /** Aborted when the peer stops: long-running work started by a service listens to it. */
  signal: AbortSignal
}

/** A libp2p service factory as `createLibp2p({ services })` takes it. */
export type Libp2pServiceFactory = (components: never) => unknown

export interface PeerService<API = unknown> {
  /** Unique short name (`routing`, `files`, ...): the key in `ctx.service()` and in events. */
  readonly name: string
  /** libp2p services to mount at node creation (keyed by their name in `node.services`). */
  libp2p?: (env: PeerEnvironment) => Record<string, Libp2pServiceFactory>
  /** Starts the service on a running node and returns its API. */
  start: (ctx: ServiceContext) => Promise<API>
  /** Releases what `start` took (protocol handlers, timers, streams). */
  stop?: () => Promise<void>
}

/** Runs a list of services on one peer: mounts, starts in order, stops in reverse. */
export class ServiceHost {
  readonly #defs: readonly PeerService[]
  readonly #apis = new Map<string, unknown>()
  readonly #abort = new AbortController()
  #started: PeerService[] = []

  constructor(defs: readonly PeerService[]) {
    const names = new Set<string>()
    for (const d of defs) {
      if (names.has(d.name)) throw new Error(`service ${d.name} is listed twice`)
      names.add(d.name)
    }
    this.#defs = defs
  }

  /** Every service's libp2p services, merged; a name used twice is a programming error. */
  libp2pServices(env: PeerEnvironment): Record<string, Libp2pServiceFactory> {
    const out: Record<string, Libp2pServiceFactory> = {}
    for (const d of this.#defs) {
      for (const [k, v] of Object.entries(d.libp2p?.(env) ?? {})) {
        if (k in out) throw new Error(`libp2p service ${k} is mounted by two overlay services`)
        out[k] = v
      }
    }
    return out
  }

  async start(ctx: Omit<ServiceContext, 'service' | 'signal'>): Promise<void> {
    const full: ServiceContext = {
      ...ctx,
      service: <T>(name: string) => this.#apis.get(name) as T | undefined,
      signal: this.#abort.signal,
    }
    for (const d of this.#defs) {
      this.#apis.set(d.name, await d.start(full))
      this.#started.push(d)
    }
  }

  get<T>(name: string): T | undefined {
    return this.#apis.get(name) as T | undefined
  }

  names(): string[] {
    return this.#defs.map((d) => d.name)
  }

  /** Stops every started service in reverse order; one failing stop does not keep the others running. */
  async stop(onError: (name: string, err: unknown) => void): Promise<void> {
    this.#abort.abort()
    for (const d of this.#started.reverse()) {
      try {
        await d.stop?.()
      } catch (err) {
        onError(d.name, err)
      }
    }
    this.#started = []
    this.#apis.clear()
  }
}

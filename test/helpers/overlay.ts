/**
 * In-process overlays for routing tests and the routing benchmark: many libp2p nodes in one process,
 * each built like the daemon's (the peer core's libp2p options, TCP on loopback) with the shared overlay
 * services mounted through the real ServiceHost, so the code under test is exactly what a home node runs.
 * Each node dials a few others to join (as a bootstrap list would); kad-dht does the rest.
 *
 * @example
 * ```ts
 * const overlay = await startOverlay({ size: 50, edgeUrl: edge.url })
 * await overlay.nodes[0].routing.provide(cid)
 * await overlay.stop()
 * ```
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { peerLibp2pOptions } from '#shared/peer/libp2p-options.ts'
import { type PeerEnvironment, type PeerService, ServiceHost } from '#shared/peer/service.ts'
import { memoryStorage } from '#shared/peer/storage.ts'
import { type RoutingInit, type RoutingService, routingService } from '#shared/services/routing/service.ts'

export interface OverlayNode {
  node: Libp2p<Record<string, unknown>>
  host: ServiceHost
  routing: RoutingService
  stopped: boolean
  /** Names of the events the node's services emitted (e.g. `routing.dht-provided`), oldest first. */
  events: string[]
  stop: () => Promise<void>
}

export interface OverlayOptions {
  size: number
  /** The edge's URL ('' = no edge index). */
  edgeUrl: string
  networkKey?: string
  routing?: RoutingInit
  /** Earlier nodes each new node dials. @default 3 */
  joinVia?: number
  /** Build the services of a node (default: the routing service with `routing`). */
  services?: () => PeerService[]
  /** Extra libp2p services per node (e.g. a stock kad-dht for side-by-side runs). */
  libp2pServices?: () => Record<string, unknown>
  /** Nodes built, and nodes joining, at once. @default 16 */
  concurrency?: number
  /** Sees every event the node's services emit, with its fields (the bench times provides with it). */
  onEvent?: (name: string, fields: Record<string, unknown>) => void
}

export interface Overlay {
  nodes: OverlayNode[]
  live: () => OverlayNode[]
  stop: () => Promise<void>
}

/** One overlay node, not joined to any other (the routing bench's worker processes build theirs so). */
export async function startOverlayNode(opts: OverlayOptions): Promise<OverlayNode> {
  const host = new ServiceHost(opts.services?.() ?? [routingService(opts.routing) as PeerService])
  const env: PeerEnvironment = {
    runtime: 'node',
    edgeUrl: opts.edgeUrl,
    networkKey: opts.networkKey,
    storage: memoryStorage(),
    isPublic: () => true,
  }
  // the peer's own libp2p options (noise, yamux, identify, ping, no connection monitor), as the daemon
  // builds them; only the connection manager differs. Every peer shares 127.0.0.1: libp2p's default of 5
  // inbound connections per second per host refuses them. 50-200 nodes share one event loop here, which
  // stalled for seconds under load: handshakes then outlasted libp2p's 6 s per-address dial and 10 s
  // inbound upgrade limits. A daemon runs one node per process and keeps the stock limits.
  const node = (await createLibp2p(
    peerLibp2pOptions({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      transports: [tcp()],
      networkKey: opts.networkKey,
      services: { ...(opts.libp2pServices?.() ?? {}), ...host.libp2pServices(env) },
      extra: {
        connectionManager: {
          maxConnections: 512,
          maxIncomingPendingConnections: 64,
          inboundConnectionThreshold: 10_000,
          dialTimeout: 60_000,
          addressDialTimeout: 60_000,
          inboundUpgradeTimeout: 60_000,
        },
      },
    }),
  )) as Libp2p<Record<string, unknown>>
  const events: string[] = []
  await host.start({
    ...env,
    node,
    events: (name, fields) => {
      if (events.length < 10_000) events.push(name)
      opts.onEvent?.(name, (fields ?? {}) as Record<string, unknown>)
    },
  })
  const self: OverlayNode = {
    node,
    host,
    routing: host.get<RoutingService>('routing')!,
    stopped: false,
    events,
    stop: async () => {
      if (self.stopped) return
      self.stopped = true
      await host.stop(() => {})
      await node.stop()
    },
  }
  return self
}

/**
 * Dials up to `want` random other nodes, as a bootstrap list would; a failed dial (a handshake can time
 * out on a loaded machine) is retried with another node, and only a node that reached nobody after 8
 * tries is an error.
 */
async function join(n: OverlayNode, all: readonly OverlayNode[], want: number): Promise<void> {
  const others = all.filter((o) => o !== n).map((o) => o.node.getMultiaddrs()[0]!.toString())
  await joinAddrs(n, others, want, String(all.indexOf(n)))
}

/** `join` over addresses (`/ip4/…/tcp/…/p2p/…`, never the node's own): nodes in other processes too. */
export async function joinAddrs(
  n: OverlayNode,
  addrs: readonly string[],
  want: number,
  name: string,
): Promise<void> {
  const others = [...addrs].sort(() => Math.random() - 0.5)
  let ok = 0
  let lastError: unknown
  for (const addr of others.slice(0, Math.max(want, 8))) {
    if (ok >= want) break
    try {
      // generous: on a loaded 2-core machine a noise handshake has taken > 10 s
      await n.node.dial(multiaddr(addr), { signal: AbortSignal.timeout(60_000) })
      ok++
    } catch (err) {
      lastError = err
    }
  }
  if (want > 0 && others.length > 0 && ok === 0) {
    throw new Error(`overlay node ${name} joined nobody: ${String(lastError)}`)
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * Builds every node, then joins them: building is cheap (50 nodes: 0.3 s of CPU), joining is noise
 * handshakes. The earlier helper joined one node at a time while the nodes already up topped up their
 * neighbours in the background: 50 nodes took 38-65 s on a quiet machine, 500-890 s under load.
 */
export async function startOverlay(opts: OverlayOptions): Promise<Overlay> {
  const nodes = await pool(
    Array.from({ length: opts.size }, (_, i) => i),
    opts.concurrency ?? 16,
    () => startOverlayNode(opts),
  )
  try {
    await pool(nodes, opts.concurrency ?? 16, (n) => join(n, nodes, opts.joinVia ?? 3))
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.stop()))
    throw err
  }
  return {
    nodes,
    live: () => nodes.filter((n) => !n.stopped),
    stop: async () => {
      await Promise.allSettled(nodes.map((n) => n.stop()))
    },
  }
}

/** p-th percentile (0-100) of `values` (nearest rank); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

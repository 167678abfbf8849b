/**
 * Talks to the relay shards (RelayShard Durable Objects `shard-<n>`) through the contract in
 * objects/shard-contract.ts: stats for the bootstrap API and metrics, asked of all shards in parallel
 * with a timeout; a shard that fails is reported as such (and logged), never fatal on its own.
 */
import { DEFAULT_SHARD_STATS_TIMEOUT_MS } from '#shared/defaults.ts'
import { TimeoutError } from '#shared/errors.ts'
import { SHARD_HEADERS, SHARD_ORIGIN, SHARD_STATS_PATH, type ShardStats } from '../objects/shard-contract.ts'
import { describeError, logEvent } from './log.ts'
import { type Settings, shardNames } from './settings.ts'
import { shardUrl } from './shard-hosts.ts'
import { parseShardStats } from './shard-stats.ts'

/** What the worker needs of the RELAY_SHARD binding (a DurableObjectNamespace); tests pass a fake. */
export interface ShardNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): { fetch(request: Request): Promise<Response> }
}

export type ShardResult = { shard: string; stats: ShardStats } | { shard: string; error: Error }

/** The Durable Object of shard `shard` (`0`, `1`, ...). */
export function shardStub(ns: ShardNamespace, shard: string) {
  return ns.get(ns.idFromName(`shard-${shard}`))
}

/** The public base URL shards announce: PUBLIC_URL, else the origin the request arrived on. */
export function publicUrlOf(settings: Settings, request: Request): string {
  return settings.publicUrl ?? new URL(request.url).origin
}

/** Sets the contract headers naming the public URL shard `shard` announces (shard-hosts.ts). */
export function setShardUrlHeaders(
  headers: Headers,
  settings: Settings,
  publicUrl: string,
  shard: string,
): void {
  const { url, byHost } = shardUrl(settings, publicUrl, shard)
  headers.set(SHARD_HEADERS.publicUrl, url)
  if (byHost) headers.set(SHARD_HEADERS.routing, 'host')
  else headers.delete(SHARD_HEADERS.routing)
}

/** The remote client's IP: `CF-Connecting-IP` (set by Cloudflare, and by wrangler dev from the socket). */
export function clientIpOf(request: Request): string {
  const h = request.headers
  return (
    h.get('cf-connecting-ip') ??
    h.get('x-real-ip') ??
    h.get('x-forwarded-for')?.split(',')[0]?.trim() ??
    'unknown'
  )
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}

async function askStats(
  ns: ShardNamespace,
  settings: Settings,
  shard: string,
  peers: number,
  publicUrl: string,
): Promise<ShardStats> {
  const headers = new Headers({ [SHARD_HEADERS.shard]: shard })
  setShardUrlHeaders(headers, settings, publicUrl, shard)
  const request = new Request(`${SHARD_ORIGIN}${SHARD_STATS_PATH}?peers=${peers}`, { headers })
  const res = await shardStub(ns, shard).fetch(request)
  if (!res.ok) {
    await res.body?.cancel()
    throw new Error(`shard ${shard} answered stats with HTTP ${res.status}`)
  }
  return parseShardStats(await res.json(), shard)
}

export interface StatsOptions {
  /** Peers each shard samples into its answer. */
  peers: number
  publicUrl: string
  /** @default DEFAULT_SHARD_STATS_TIMEOUT_MS */
  timeoutMs?: number
  /** Route name for the log line of a failed shard. */
  route: string
}

/** Stats of every shard, in shard order; failed shards carry their error and are logged. */
export async function allShardStats(
  ns: ShardNamespace,
  settings: Settings,
  opts: StatsOptions,
): Promise<ShardResult[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SHARD_STATS_TIMEOUT_MS
  return Promise.all(
    shardNames(settings).map(async (shard): Promise<ShardResult> => {
      try {
        const stats = await withTimeout(
          askStats(ns, settings, shard, opts.peers, opts.publicUrl),
          timeoutMs,
          `shard ${shard}`,
        )
        return { shard, stats }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err))
        logEvent('warn', 'edgeswarm:worker:shards', 'shard.unavailable', {
          shard,
          route: opts.route,
          ...describeError(error),
        })
        return { shard, error }
      }
    }),
  )
}

/**
 * Shard addressing by host, so that every shard is usable by stock js-libp2p peers (whose WebSocket
 * and circuit-relay dial filters drop `/http-path/` addresses, docs/NOTES.md):
 * - `SHARD_HOST` (deployments): a host name template with `{n}`, e.g. `shard-{n}.relay.example.com`;
 *   each shard n ≥ 1 gets its own DNS name (a Workers custom domain or route) and announces
 *   `/dns4/shard-1.relay.example.com/tcp/443/tls/ws`.
 * - `SHARD_PORTS` (local, `wrangler dev`): one loopback port per shard n ≥ 1, forwarded byte for byte
 *   to wrangler dev's port by the local launcher; shard 1 announces `/ip4/127.0.0.1/tcp/<port>/ws`.
 * Either one needs PUBLIC_URL (the main host, where shard 0 keeps answering on `/`). The Worker routes
 * a WebSocket upgrade on `/` by its Host; `/relay/<n>` keeps working. With neither set, shard n ≥ 1
 * is announced with `/http-path/relay%2F<n>` as before (our peers only).
 */
import { DEFAULT_SHARD } from '#shared/constants.ts'
import type { Settings } from './settings.ts'

type Addressing = Pick<Settings, 'shards' | 'publicUrl' | 'shardHost' | 'shardPorts'>

/** The base URL shard `shard` announces, and whether the Worker routes it by host (no path part). */
export function shardUrl(
  settings: Addressing,
  base: string,
  shard: string,
): { url: string; byHost: boolean } {
  if (shard === DEFAULT_SHARD) return { url: base, byHost: false }
  const url = new URL(base)
  if (settings.shardHost !== undefined) {
    url.hostname = settings.shardHost.replace('{n}', shard)
    return { url: url.toString().replace(/\/+$/, ''), byHost: true }
  }
  const port = settings.shardPorts?.[Number(shard) - 1]
  if (port !== undefined) {
    url.port = String(port)
    return { url: url.toString().replace(/\/+$/, ''), byHost: true }
  }
  return { url: base, byHost: false }
}

/** The shard a request's host names (`shard-1.relay.example.com`, `127.0.0.1:<port of shard 1>`), if any. */
export function shardOfHost(settings: Addressing, requestUrl: string): string | undefined {
  const url = new URL(requestUrl)
  if (settings.shardHost !== undefined) {
    const host = url.hostname.toLowerCase()
    for (let n = 1; n < settings.shards; n++) {
      if (settings.shardHost.replace('{n}', String(n)) === host) return String(n)
    }
  }
  const ports = settings.shardPorts ?? []
  const index = ports.indexOf(Number(url.port))
  if (index >= 0 && index + 1 < settings.shards) return String(index + 1)
  return undefined
}

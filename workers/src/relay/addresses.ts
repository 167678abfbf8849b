/**
 * Multiaddrs a shard announces, from the deployment's public URL:
 * - `http://127.0.0.1:8787`, shard 0 → `/ip4/127.0.0.1/tcp/8787/ws`
 * - `https://relay.example.com`, shard 0 → `/dns4/relay.example.com/tcp/443/tls/ws`
 * - shard n ≥ 1 adds `/http-path/relay%2F<n>`, which @multiformats/multiaddr-to-uri renders as
 *   `ws://host:port/relay/<n>` (the Worker routes `/relay/<n>` to shard n);
 * - unless the shard is routed by host (`byHost`, the URL is the shard's own: app/shard-hosts.ts):
 *   `https://shard-1.relay.example.com` → `/dns4/shard-1.relay.example.com/tcp/443/tls/ws`, which
 *   stock js-libp2p dial filters accept.
 */
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_SHARD, RELAY_PATH_PREFIX } from '#shared/constants.ts'
import { ConfigError } from '#shared/errors.ts'

const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/

export function shardMultiaddr(publicUrl: string, shard: string, byHost = false): Multiaddr {
  let url: URL
  try {
    url = new URL(publicUrl)
  } catch {
    throw new ConfigError(`public URL must be an absolute http(s) URL, got ${JSON.stringify(publicUrl)}`)
  }
  const secure = url.protocol === 'https:'
  if (!secure && url.protocol !== 'http:') {
    throw new ConfigError(`public URL must use http or https, got ${JSON.stringify(publicUrl)}`)
  }
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port)
  const host = url.hostname
  const hostPart = host.startsWith('[')
    ? `/ip6/${host.slice(1, -1)}`
    : IPV4.test(host)
      ? `/ip4/${host}`
      : `/dns4/${host}`
  const base = url.pathname.replace(/^\/+|\/+$/g, '')
  const shardPath = shard === DEFAULT_SHARD || byHost ? '' : `${RELAY_PATH_PREFIX.slice(1)}${shard}`
  const path = [base, shardPath].filter((p) => p !== '').join('/')
  const httpPath = path === '' ? '' : `/http-path/${encodeURIComponent(path)}`
  return multiaddr(`${hostPart}/tcp/${port}${secure ? '/tls/ws' : '/ws'}${httpPath}`)
}

/**
 * WebSocket upgrades to the relay shards: `/` → shard 0 (so that stock libp2p peers reach it with a
 * plain `/ws` multiaddr), or the shard its Host names (SHARD_HOST / SHARD_PORTS, app/shard-hosts.ts),
 * `/relay/<n>` → shard n, forwarded to the RelayShard Durable Object `shard-<n>`
 * per objects/shard-contract.ts. A request to `/relay/<n>` that is not an upgrade gets 426.
 */
import { Hono } from 'hono'
import { DEFAULT_SHARD, RELAY_PATH_PREFIX, SHARD_NAME_PATTERN } from '#shared/constants.ts'
import { hasBody } from '../app/body-limit.ts'
import { jsonError } from '../app/respond.ts'
import type { Settings } from '../app/settings.ts'
import { shardOfHost } from '../app/shard-hosts.ts'
import { clientIpOf, publicUrlOf, type ShardNamespace, setShardUrlHeaders, shardStub } from '../app/shards.ts'
import type { AppEnv } from '../app/types.ts'
import { SHARD_CONNECT_PATH, SHARD_HEADERS, SHARD_ORIGIN } from '../objects/shard-contract.ts'

export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get('upgrade')?.toLowerCase() === 'websocket'
}

/** True when `name` is a shard of this deployment (`0` .. RELAY_SHARDS - 1, no leading zeros). */
export function isShard(name: string, settings: Pick<Settings, 'shards'>): boolean {
  return SHARD_NAME_PATTERN.test(name) && Number(name) < settings.shards
}

/** Forwards a (bodiless, validated) WebSocket upgrade to `shard` with the contract headers set. */
export function forwardUpgrade(ns: ShardNamespace, settings: Settings, request: Request, shard: string) {
  const forwarded = new Request(`${SHARD_ORIGIN}${SHARD_CONNECT_PATH}`, request)
  // Set, never appended: a client cannot pose as another IP or shard with its own x-edgeswarm-* headers.
  forwarded.headers.set(SHARD_HEADERS.shard, shard)
  setShardUrlHeaders(forwarded.headers, settings, publicUrlOf(settings, request), shard)
  forwarded.headers.set(SHARD_HEADERS.clientIp, clientIpOf(request))
  return shardStub(ns, shard).fetch(forwarded)
}

export const relayRoutes = new Hono<AppEnv>()

relayRoutes.get('/', async (c, next) => {
  if (!isWebSocketUpgrade(c.req.raw)) return next()
  if (hasBody(c.req.raw)) return jsonError(c, 400, 'invalid_input', 'a WebSocket upgrade carries no body')
  const settings = c.get('settings')
  const shard = shardOfHost(settings, c.req.url) ?? DEFAULT_SHARD
  return forwardUpgrade(c.env.RELAY_SHARD, settings, c.req.raw, shard)
})

relayRoutes.get(`${RELAY_PATH_PREFIX}:shard`, async (c) => {
  const shard = c.req.param('shard')
  const settings = c.get('settings')
  if (!isShard(shard, settings)) {
    return jsonError(
      c,
      404,
      'unknown_shard',
      `no relay shard ${JSON.stringify(shard.slice(0, 16))}; shards are 0..${settings.shards - 1}`,
    )
  }
  if (!isWebSocketUpgrade(c.req.raw)) {
    return jsonError(c, 426, 'upgrade_required', 'relay shards speak libp2p over WebSocket only', {
      Upgrade: 'websocket',
    })
  }
  if (hasBody(c.req.raw)) return jsonError(c, 400, 'invalid_input', 'a WebSocket upgrade carries no body')
  return forwardUpgrade(c.env.RELAY_SHARD, settings, c.req.raw, shard)
})

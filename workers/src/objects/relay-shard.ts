/**
 * RelayShard: one relay shard of the edge, a Durable Object hosting a js-libp2p circuit-relay-v2 node
 * (see ../relay/shard-node.ts). The Worker forwards WebSocket upgrades for `/` (shard 0) and
 * `/relay/<n>` to `SHARD_CONNECT_PATH`, and asks `SHARD_STATS_PATH` for ShardStats
 * (shard-contract.ts). Resident, not hibernating: the node's noise/yamux state lives in memory.
 *
 * Connection quotas are enforced here, before a socket is accepted: per remote IP (from the
 * `x-edgeswarm-client-ip` header) → 429, per shard → 503, both as JSON with a stable `error` code.
 *
 * @example
 * ```ts
 * const stub = env.RELAY_SHARD.get(env.RELAY_SHARD.idFromName('shard-0'))
 * const stats = await (await stub.fetch(`${SHARD_ORIGIN}${SHARD_STATS_PATH}`, { headers })).json()
 * ```
 */
import { DurableObject } from 'cloudflare:workers'
import type { RelayConfig } from '#shared/config.ts'
import { DEFAULT_SHARD, SHARD_NAME_PATTERN } from '#shared/constants.ts'
import { toError } from '#shared/errors.ts'
import type { RelayEvent } from '#shared/relay/events.ts'
import type { Env } from '../env.ts'
import { shardMultiaddr } from '../relay/addresses.ts'
import { relayConfigFromEnv } from '../relay/config.ts'
import { loadShardKey } from '../relay/identity.ts'
import { ShardNode } from '../relay/shard-node.ts'
import { installTimerCount } from '../relay/timer-count.ts'

installTimerCount()

import { SHARD_CONNECT_PATH, SHARD_HEADERS, SHARD_STATS_PATH } from './shard-contract.ts'

const LOG_NS = 'edgeswarm:worker:relay-shard'

function json(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers })
}

export class RelayShard extends DurableObject<Env> {
  #node?: Promise<ShardNode>
  #config?: RelayConfig
  #shard = DEFAULT_SHARD
  #sockets = 0
  readonly #perIp = new Map<string, number>()

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname !== SHARD_CONNECT_PATH && url.pathname !== SHARD_STATS_PATH) {
      return json(404, { error: 'not_found' })
    }
    const shard = request.headers.get(SHARD_HEADERS.shard) ?? DEFAULT_SHARD
    if (!SHARD_NAME_PATTERN.test(shard)) return json(400, { error: 'invalid_shard' })
    let node: ShardNode
    try {
      const byHost = request.headers.get(SHARD_HEADERS.routing) === 'host'
      node = await this.#start(
        shard,
        request.headers.get(SHARD_HEADERS.publicUrl) ?? this.env.PUBLIC_URL,
        byHost,
      )
    } catch (err) {
      const e = toError(err)
      this.#log({ level: 'error', event: 'start', result: 'failed', error: e.name, message: e.message })
      return json(e.name === 'ConfigError' ? 500 : 503, {
        error: e.name === 'ConfigError' ? 'config_error' : 'unavailable',
      })
    }
    if (url.pathname === SHARD_STATS_PATH) {
      const raw = url.searchParams.get('peers')
      const peers = raw !== null && /^[0-9]{1,4}$/.test(raw) ? Number(raw) : undefined
      return Response.json(node.stats(peers))
    }
    return this.#connect(request, node)
  }

  #start(shard: string, publicUrl: string, byHost: boolean): Promise<ShardNode> {
    if (this.#node === undefined) {
      this.#shard = shard
      this.#node = this.#create(shard, publicUrl, byHost)
      this.#node.catch(() => {
        // let the next request retry (e.g. after a transient storage error); the failure is logged by fetch
        this.#node = undefined
      })
    }
    return this.#node
  }

  async #create(shard: string, publicUrl: string, byHost: boolean): Promise<ShardNode> {
    if (publicUrl === '') throw new Error('no public URL: the Worker sent no x-edgeswarm-public-url header')
    const config = relayConfigFromEnv(this.env)
    const announce = shardMultiaddr(publicUrl, shard, byHost)
    const privateKey = await loadShardKey(this.ctx.storage, shard, this.env.RELAY_IDENTITY_SECRET)
    const node = await ShardNode.start({
      shard,
      privateKey,
      config,
      announce,
      ...(this.env.NETWORK_KEY === undefined ? {} : { networkKey: this.env.NETWORK_KEY }),
      dht: this.env.RELAY_DHT === 'on',
      onEvent: (event) => this.#log(event),
      onError: (context, err) =>
        this.#log({ level: 'error', event: 'error', context, message: toError(err).message }),
    })
    this.#config = config
    this.#log({
      event: 'start',
      result: 'ok',
      peerId: node.node.peerId.toString(),
      addrs: node.addrs(),
      private: this.env.NETWORK_KEY !== undefined && this.env.NETWORK_KEY !== '',
    })
    return node
  }

  #connect(request: Request, node: ShardNode): Response {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return json(426, { error: 'websocket_required' }, { upgrade: 'websocket' })
    }
    const config = this.#config!
    const ip = request.headers.get(SHARD_HEADERS.clientIp) ?? 'unknown'
    if (this.#sockets >= config.maxConnections) {
      node.guard.refuse('connection_limit', {
        event: 'connection',
        result: 'refused',
        reason: 'connection_limit',
        ip,
      })
      return json(503, { error: 'connection_limit' }, { 'retry-after': '30' })
    }
    const fromIp = this.#perIp.get(ip) ?? 0
    if (fromIp >= config.maxConnectionsPerIp) {
      node.guard.refuse('connections_per_ip', {
        event: 'connection',
        result: 'refused',
        reason: 'connections_per_ip',
        ip,
      })
      return json(429, { error: 'connections_per_ip' }, { 'retry-after': '10' })
    }
    const pair = new WebSocketPair()
    const client = pair[0]
    const server = pair[1]
    server.accept()
    this.#sockets++
    this.#perIp.set(ip, fromIp + 1)
    let released = false
    node.hub.accept(server, ip, {
      onClose: () => {
        if (released) return
        released = true
        this.#sockets--
        const left = (this.#perIp.get(ip) ?? 1) - 1
        if (left <= 0) this.#perIp.delete(ip)
        else this.#perIp.set(ip, left)
      },
      // no libp2p handshake on this socket (garbage, wrong protocol, timeout): closed, counted
      onUpgradeFailed: () =>
        node.guard.refuse('malformed', { event: 'connection', result: 'closed', reason: 'malformed', ip }),
    })
    return new Response(null, { status: 101, webSocket: client })
  }

  #log(event: RelayEvent | Record<string, unknown>): void {
    console.log(JSON.stringify({ ts: new Date().toISOString(), ns: LOG_NS, shard: this.#shard, ...event }))
  }
}

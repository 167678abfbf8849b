/**
 * The edge as super-peer index (docs/PROTOCOLS.md "Routing"):
 * - `GET /routing/v1/providers/{cid}` and `GET /routing/v1/peers/{peer-id}`: Delegated Routing V1
 *   (IPFS spec), JSON or NDJSON (`Accept: application/x-ndjson`), 404 when none, 400 JSON for a
 *   malformed CID or peer ID; answered from one ProviderIndex shard.
 * - `POST /v1/routing/announce`: a record signed by the announcing peer (shared/src/services/routing/
 *   record.ts), verified here, its addresses reduced to those the edge vouches for (../routing/vouch.ts),
 *   then written to the shards owning its keys. A forged or stale record is refused (403) and counted.
 * Bodies are bounded (MAX_ROUTING_RECORD_BYTES) and parsed here, never forwarded raw to a Durable Object.
 * In private mode every route needs the network's bearer credential.
 */
import { type Context, Hono } from 'hono'
import {
  MAX_ROUTING_RECORD_BYTES,
  ROUTING_ANNOUNCE_PATH,
  ROUTING_PEERS_PATH,
  ROUTING_PROVIDERS_PATH,
} from '#shared/constants.ts'
import { DEFAULT_ROUTING_MAX_PROVIDERS } from '#shared/defaults.ts'
import { InvalidInputError, toError } from '#shared/errors.ts'
import {
  applyFilters,
  NDJSON_CONTENT_TYPE,
  type PeerSchemaRecord,
  peerRecord,
  wantsNdjson,
} from '#shared/services/routing/delegated.ts'
import { parseCid, parsePeerId } from '#shared/services/routing/keys.ts'
import { verifyRecord } from '#shared/services/routing/record.ts'
import { describeError, logEvent } from '../app/log.ts'
import { requireNetworkKey } from '../app/middleware.ts'
import { jsonError } from '../app/respond.ts'
import { allShardStats, clientIpOf, publicUrlOf } from '../app/shards.ts'
import type { AppEnv } from '../app/types.ts'
import type { IndexEntry } from '../objects/provider-index.ts'
import { indexShardOf, indexStub, indexStubFor } from '../routing/index-shards.ts'
import { vouchedAddrs } from '../routing/vouch.ts'

const NS = 'edgeswarm:worker:routing'
/** How long a Worker isolate reuses the relay shards' peer IDs and addresses (ms). */
const SHARD_ADDRS_TTL_MS = 60_000

export const routingRoutes = new Hono<AppEnv>()

let shardCache: { at: number; url: string; addrs: Map<string, string[]> } | undefined

async function shardAddrs(c: Context<AppEnv>): Promise<Map<string, string[]>> {
  const settings = c.get('settings')
  const url = publicUrlOf(settings, c.req.raw)
  if (shardCache !== undefined && shardCache.url === url && Date.now() - shardCache.at < SHARD_ADDRS_TTL_MS) {
    return shardCache.addrs
  }
  const results = await allShardStats(c.env.RELAY_SHARD, settings, {
    peers: 0,
    publicUrl: url,
    route: 'routing',
  })
  const addrs = new Map<string, string[]>()
  for (const r of results) {
    if ('stats' in r) addrs.set(r.stats.peerId, r.stats.addrs)
  }
  if (addrs.size > 0) shardCache = { at: Date.now(), url, addrs }
  return addrs
}

function answer(c: Context<AppEnv>, field: 'Providers' | 'Peers', all: PeerSchemaRecord[]): Response {
  const records = applyFilters(all, c.req.query('filter-addrs'), c.req.query('filter-protocols'))
  if (records.length === 0) {
    return jsonError(c, 404, 'not_found', `no ${field.toLowerCase()} known for this key`)
  }
  if (wantsNdjson(c.req.header('accept'))) {
    const body = records.map((r) => JSON.stringify(r)).join('\n')
    return c.body(`${body}\n`, 200, { 'Content-Type': NDJSON_CONTENT_TYPE, 'Cache-Control': 'no-store' })
  }
  return c.json({ [field]: records }, 200, { 'Cache-Control': 'no-store' })
}

function countRefusal(c: Context<AppEnv>, reason: string): void {
  const done = indexStub(c.env.PROVIDER_INDEX, 0)
    .refused(reason)
    .catch((err: unknown) => logEvent('error', NS, 'routing.count-failed', describeError(err)))
  try {
    c.executionCtx.waitUntil(done)
  } catch {
    // no execution context (unit tests build the app without one): the promise still runs
  }
}

routingRoutes.get(`${ROUTING_PROVIDERS_PATH}/:cid`, requireNetworkKey, async (c) => {
  const { key } = parseCid(c.req.param('cid'))
  const rows = await indexStubFor(c.env.PROVIDER_INDEX, key).providers(key, DEFAULT_ROUTING_MAX_PROVIDERS)
  return answer(
    c,
    'Providers',
    rows.map((r) => peerRecord(r.peer, r.addrs)),
  )
})

routingRoutes.get(`${ROUTING_PEERS_PATH}/:peerId`, requireNetworkKey, async (c) => {
  const id = parsePeerId(c.req.param('peerId')).toString()
  const row = await indexStubFor(c.env.PROVIDER_INDEX, id).peer(id)
  return answer(c, 'Peers', row === undefined ? [] : [peerRecord(row.peer, row.addrs)])
})

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const length = Number(c.req.header('content-length') ?? 'NaN')
  if (!Number.isFinite(length) || length > MAX_ROUTING_RECORD_BYTES) {
    throw new InvalidInputError(
      `announcements must declare a Content-Length of at most ${MAX_ROUTING_RECORD_BYTES} bytes`,
    )
  }
  if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    throw new InvalidInputError('announcements must be Content-Type: application/json')
  }
  try {
    return JSON.parse(await c.req.text())
  } catch {
    throw new InvalidInputError('announcement body is not JSON')
  }
}

routingRoutes.post(ROUTING_ANNOUNCE_PATH, requireNetworkKey, async (c) => {
  let record: Awaited<ReturnType<typeof verifyRecord>>
  try {
    record = await verifyRecord(await readJson(c), Date.now())
  } catch (err) {
    const e = toError(err)
    const reason = e.name === 'InvalidRecordError' ? 'forged' : 'malformed'
    countRefusal(c, reason)
    logEvent('warn', NS, 'routing.refused', {
      reason,
      ip: clientIpOf(c.req.raw),
      message: e.message.slice(0, 200),
    })
    throw e
  }
  const addrs = vouchedAddrs(record.peer, record.addrs, clientIpOf(c.req.raw), await shardAddrs(c))
  const expires = Date.now() + record.ttl * 1000
  const byShard = new Map<number, IndexEntry[]>()
  record.keys.forEach((key, i) => {
    const shard = indexShardOf(key)
    byShard.set(shard, [...(byShard.get(shard) ?? []), { key, cid: record.cids[i]! }])
  })
  const peerShard = indexShardOf(record.peer)
  if (!byShard.has(peerShard)) byShard.set(peerShard, [])
  const results = await Promise.all(
    [...byShard].map(([shard, entries]) =>
      indexStub(c.env.PROVIDER_INDEX, shard).announce({
        peer: record.peer,
        entries,
        addrs,
        expires,
        peerRecord: shard === peerShard,
      }),
    ),
  )
  const stored = results.reduce((n, r) => n + r.stored, 0)
  const throttled = results.reduce((n, r) => n + r.throttled, 0)
  logEvent('info', NS, 'routing.announced', { peer: record.peer, stored, throttled, addrs: addrs.length })
  const body = { peer: record.peer, stored, throttled, addrs, expires }
  if (throttled > 0) {
    c.set('errorCode', 'quota_exceeded')
    return c.json(
      { error: 'quota_exceeded', message: `${throttled} record(s) over quota were not stored`, ...body },
      429,
      {
        'Cache-Control': 'no-store',
      },
    )
  }
  return c.json(body, 200, { 'Cache-Control': 'no-store' })
})

/**
 * Checks a shard's stats answer (objects/shard-contract.ts) before the worker uses it: a shard built
 * from another version, or one that failed half-way, must not put junk into a bootstrap document or
 * the metrics. Throws InvalidInputError naming the field.
 */
import { InvalidInputError } from '#shared/errors.ts'
import type { RefusalReason, ShardPeer, ShardStats } from '../objects/shard-contract.ts'

type Json = unknown

function fail(path: string, expected: string, got: Json): never {
  throw new InvalidInputError(`${path} must be ${expected}, got ${String(JSON.stringify(got)).slice(0, 80)}`)
}

function count(path: string, v: Json): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(path, 'a non-negative integer', v)
  return v
}

function text(path: string, v: Json): string {
  if (typeof v !== 'string' || v === '' || v.length > 1024) fail(path, 'a non-empty string', v)
  return v
}

function texts(path: string, v: Json): string[] {
  if (!Array.isArray(v)) fail(path, 'an array', v)
  return v.map((x, i) => text(`${path}[${i}]`, x))
}

function record(path: string, v: Json): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v)
  return v as Record<string, Json>
}

function shardPeers(path: string, v: Json): ShardPeer[] {
  if (!Array.isArray(v)) fail(path, 'an array', v)
  return v.map((x, i) => {
    const peer = record(`${path}[${i}]`, x)
    return {
      peerId: text(`${path}[${i}].peerId`, peer.peerId),
      addrs: texts(`${path}[${i}].addrs`, peer.addrs),
    }
  })
}

export function parseShardStats(v: Json, shard: string): ShardStats {
  const p = `shard ${shard} stats`
  const o = record(p, v)
  if (o.shard !== shard) fail(`${p}.shard`, JSON.stringify(shard), o.shard)
  const refusals: Partial<Record<RefusalReason, number>> = {}
  for (const [reason, n] of Object.entries(record(`${p}.refusals`, o.refusals))) {
    if (!/^[a-z_]{1,32}$/.test(reason)) fail(`${p}.refusals`, 'keyed by snake_case reasons', reason)
    refusals[reason as RefusalReason] = count(`${p}.refusals.${reason}`, n)
  }
  const peers = shardPeers(`${p}.peers`, o.peers)
  // absent from shards older than the field
  const superPeers = o.superPeers === undefined ? [] : shardPeers(`${p}.superPeers`, o.superPeers)
  return {
    shard,
    peerId: text(`${p}.peerId`, o.peerId),
    addrs: texts(`${p}.addrs`, o.addrs),
    connections: count(`${p}.connections`, o.connections),
    reservations: count(`${p}.reservations`, o.reservations),
    circuits: count(`${p}.circuits`, o.circuits),
    circuitsTotal: count(`${p}.circuitsTotal`, o.circuitsTotal),
    bytesRelayed: count(`${p}.bytesRelayed`, o.bytesRelayed),
    refusals,
    peers,
    superPeers,
    uptimeSeconds: count(`${p}.uptimeSeconds`, o.uptimeSeconds),
    // absent from shards older than the fields
    ...(o.timers === undefined ? {} : { timers: count(`${p}.timers`, o.timers) }),
    ...(o.dhtRoutingTable === undefined
      ? {}
      : { dhtRoutingTable: count(`${p}.dhtRoutingTable`, o.dhtRoutingTable) }),
  }
}

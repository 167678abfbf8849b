/**
 * Which ProviderIndex Durable Object holds a key: FNV-1a of the key string modulo the shard count
 * (`index-<n>`). Provider records shard by the CID's multihash key, peer records by the peer ID, so a
 * lookup asks exactly one shard. Changing DEFAULT_ROUTING_SHARDS remaps keys: records come back within
 * one re-announce period (half the record TTL).
 */
import { DEFAULT_ROUTING_SHARDS } from '#shared/defaults.ts'
import type { ProviderIndex } from '../objects/provider-index.ts'

export interface IndexNamespace {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): DurableObjectStub<ProviderIndex>
}

export function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export function indexShardOf(key: string, shards = DEFAULT_ROUTING_SHARDS): number {
  return fnv1a(key) % shards
}

export function indexStub(ns: IndexNamespace, shard: number): DurableObjectStub<ProviderIndex> {
  return ns.get(ns.idFromName(`index-${shard}`))
}

export function indexStubFor(ns: IndexNamespace, key: string): DurableObjectStub<ProviderIndex> {
  return indexStub(ns, indexShardOf(key))
}

export function allIndexShards(shards = DEFAULT_ROUTING_SHARDS): number[] {
  return Array.from({ length: shards }, (_, i) => i)
}

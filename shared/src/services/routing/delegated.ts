/**
 * Delegated Routing V1 HTTP API schema (IPFS spec, specs.ipfs.tech/routing/http-routing-v1): the
 * records the edge serves and the service reads. JSON answers are `{ "Providers": [...] }` and
 * `{ "Peers": [...] }`; NDJSON answers (`Accept: application/x-ndjson`) are one record a line. A record
 * is the "peer" schema: `{ "Schema": "peer", "ID": "<peer id>", "Addrs": [...], "Protocols": [...] }`.
 *
 * @example
 * ```ts
 * peerRecord('12D3KooW...', ['/ip4/1.2.3.4/tcp/1/ws'])
 * // { Schema: 'peer', ID: '12D3KooW...', Addrs: ['/ip4/1.2.3.4/tcp/1/ws'], Protocols: ['transport-bitswap'] }
 * ```
 */
import { MAX_ROUTING_RECORD_ADDRS } from '../../constants.ts'

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson'
/** Transfer protocols a provider serves (the spec's filter-protocols names): edgeswarm peers run bitswap. */
export const PROVIDER_PROTOCOLS = ['transport-bitswap'] as const

export interface PeerSchemaRecord {
  Schema: 'peer'
  ID: string
  Addrs: string[]
  Protocols?: string[]
}

export function peerRecord(id: string, addrs: readonly string[]): PeerSchemaRecord {
  return { Schema: 'peer', ID: id, Addrs: [...addrs], Protocols: [...PROVIDER_PROTOCOLS] }
}

/** True when an Accept header asks for NDJSON streaming (the spec's content negotiation). */
export function wantsNdjson(accept: string | null | undefined): boolean {
  return (accept ?? '').toLowerCase().includes(NDJSON_CONTENT_TYPE)
}

/** Reads one record from an answer, keeping only well-formed peer records (others are skipped, per spec). */
export function readPeerRecord(value: unknown): { id: string; addrs: string[] } | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const r = value as Record<string, unknown>
  if (r.Schema !== 'peer' || typeof r.ID !== 'string') return undefined
  const addrs = Array.isArray(r.Addrs) ? r.Addrs.filter((a): a is string => typeof a === 'string') : []
  return { id: r.ID, addrs: addrs.slice(0, MAX_ROUTING_RECORD_ADDRS) }
}

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
import { multiaddr } from '@multiformats/multiaddr'
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

/**
 * IPIP-484 filters (`?filter-addrs=tcp,!p2p-circuit&filter-protocols=transport-bitswap`): addresses are
 * kept when they name a wanted protocol and no excluded one; a provider with addresses none of which
 * pass is left out; `filter-protocols` without `transport-bitswap` or `unknown` leaves every record out.
 */
export function applyFilters(
  records: PeerSchemaRecord[],
  filterAddrs: string | undefined,
  filterProtocols: string | undefined,
): PeerSchemaRecord[] {
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  const protos = list(filterProtocols)
  if (
    protos.length > 0 &&
    !protos.some((p) => p === 'unknown' || (PROVIDER_PROTOCOLS as readonly string[]).includes(p))
  ) {
    return []
  }
  const want = list(filterAddrs).filter((f) => !f.startsWith('!'))
  const not = list(filterAddrs)
    .filter((f) => f.startsWith('!'))
    .map((f) => f.slice(1))
  if (want.length === 0 && not.length === 0) return records
  const names = (a: string): string[] => {
    try {
      return multiaddr(a)
        .getComponents()
        .map((c) => c.name)
    } catch {
      return []
    }
  }
  const pass = (a: string) => {
    const n = names(a)
    return !not.some((x) => n.includes(x)) && (want.length === 0 || want.some((w) => n.includes(w)))
  }
  return records.flatMap((r) => {
    if (r.Addrs.length === 0) return [r]
    const Addrs = r.Addrs.filter(pass)
    return Addrs.length === 0 ? [] : [{ ...r, Addrs }]
  })
}

import { describe, expect, it } from 'vitest'
import { applyFilters, peerRecord, readPeerRecord, wantsNdjson } from './delegated.ts'

// Delegated Routing V1 (specs.ipfs.tech/routing/http-routing-v1): the "peer" schema record.
describe('delegated routing schema', () => {
  it('writes peer-schema records with the spec field names', () => {
    const r = peerRecord('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', ['/ip4/1.2.3.4/tcp/1'])
    expect(Object.keys(r).sort()).toEqual(['Addrs', 'ID', 'Protocols', 'Schema'])
    expect(r.Schema).toBe('peer')
    expect(JSON.parse(JSON.stringify({ Providers: [r] })).Providers[0]).toEqual(r)
  })

  it('reads peer records and skips unknown schemas, as the spec asks of clients', () => {
    expect(readPeerRecord({ Schema: 'peer', ID: 'x', Addrs: ['/a', 3] })).toEqual({ id: 'x', addrs: ['/a'] })
    expect(readPeerRecord({ Schema: 'bitswap', ID: 'x' })).toBeUndefined()
    expect(readPeerRecord(null)).toBeUndefined()
  })

  it('negotiates NDJSON from the Accept header', () => {
    expect(wantsNdjson('application/x-ndjson')).toBe(true)
    expect(wantsNdjson('application/json, application/x-ndjson;q=0.9')).toBe(true)
    expect(wantsNdjson('application/json')).toBe(false)
    expect(wantsNdjson(undefined)).toBe(false)
  })
})

describe('IPIP-484 filters', () => {
  const P = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
  const recs = [peerRecord(P, ['/ip4/1.2.3.4/tcp/1/ws', `/ip4/1.2.3.4/tcp/2/ws/p2p/${P}/p2p-circuit`])]
  it('keeps matching addresses, drops excluded ones and providers left with none', () => {
    expect(applyFilters(recs, 'tcp', undefined)[0]!.Addrs).toHaveLength(2)
    expect(applyFilters(recs, 'tcp,!p2p-circuit', undefined)[0]!.Addrs).toEqual(['/ip4/1.2.3.4/tcp/1/ws'])
    expect(applyFilters(recs, 'webrtc', undefined)).toEqual([])
    expect(applyFilters(recs, undefined, 'transport-ipfs-gateway-http')).toEqual([])
    expect(applyFilters(recs, undefined, 'unknown,transport-bitswap')).toEqual(recs)
  })
})

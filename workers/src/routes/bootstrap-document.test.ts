import { describe, expect, it } from 'vitest'
import { parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import type { ShardStats } from '../objects/shard-contract.ts'
import { buildBootstrapDocument, parsePeersParam, shuffle } from './bootstrap-document.ts'

const R0 = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const R1 = '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F83ZeyYgNcA8Dp'
const PA = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const PB = '12D3KooWLuuLc2K9p7TAcVQEdBbNg8Hd1GF2zN1EGQq1uwSwzwJk'

function shard(shard: string, peerId: string, base: string, peers: string[]): ShardStats {
  return {
    shard,
    peerId,
    addrs: [`${base}/p2p/${peerId}`],
    connections: 0,
    reservations: peers.length,
    circuits: 0,
    circuitsTotal: 0,
    bytesRelayed: 0,
    refusals: {},
    peers: peers.map((p) => ({ peerId: p, addrs: [`${base}/p2p/${peerId}/p2p-circuit/p2p/${p}`] })),
    superPeers: [],
    uptimeSeconds: 1,
  }
}

describe('parsePeersParam', () => {
  it('defaults, accepts the range and refuses the rest', () => {
    expect(parsePeersParam(undefined)).toBe(16)
    expect(parsePeersParam('0')).toBe(0)
    expect(parsePeersParam('64')).toBe(64)
    for (const bad of ['65', '999', 'abc', '', '-1', '1.5', '1e1', ' 1']) {
      expect(() => parsePeersParam(bad)).toThrow(/^peers must be an integer in \[0, 64\]/)
    }
  })
})

describe('buildBootstrapDocument', () => {
  const s0 = shard('0', R0, '/ip4/127.0.0.1/tcp/8787/ws', [PA, PB])
  const s1 = shard('1', R1, '/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1', [PA])

  it('lists relays in shard order and merges peers across shards', () => {
    const doc = buildBootstrapDocument({
      network: 'n',
      private: false,
      stun: ['stun:stun.example.com'],
      stats: [s0, s1],
      peers: 64,
      now: new Date(0),
    })
    expect(parseBootstrapDocument(doc)).toEqual(doc)
    expect(doc.relays.map((r) => r.shard)).toEqual(['0', '1'])
    expect(doc.peers).toHaveLength(2)
    const a = doc.peers.find((p) => p.peerId === PA)!
    expect(a.addrs).toHaveLength(2)
    expect(doc.generatedAt).toBe('1970-01-01T00:00:00.000Z')
    expect(doc.protocol).toBe('/edgeswarm/1.0.0')
  })

  it('cuts the sample to the number asked for', () => {
    const doc = buildBootstrapDocument({ network: 'n', private: true, stun: [], stats: [s0, s1], peers: 1 })
    expect(doc.peers).toHaveLength(1)
    expect(
      buildBootstrapDocument({ network: 'n', private: true, stun: [], stats: [s0], peers: 0 }).peers,
    ).toEqual([])
  })

  it('completes relay addresses without /p2p and drops foreign ones', () => {
    const odd = { ...s0, addrs: ['/ip4/127.0.0.1/tcp/8787/ws', `/ip4/127.0.0.1/tcp/1/ws/p2p/${R1}`] }
    const doc = buildBootstrapDocument({ network: 'n', private: false, stun: [], stats: [odd], peers: 0 })
    expect(doc.relays[0]!.addrs).toEqual([`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R0}`])
  })
})

describe('buildBootstrapDocument: superPeers', () => {
  const SP = '12D3KooWCHu273nrWXzJyXzfb9zYxV3aHh2eRp67RadtmWagYMbi'
  const direct = `/ip4/203.0.113.7/tcp/4001/ws/p2p/${SP}`

  it('merges super-peers across shards, one entry per peer ID', () => {
    const s0 = {
      ...shard('0', R0, '/ip4/127.0.0.1/tcp/8787/ws', []),
      superPeers: [{ peerId: SP, addrs: [direct] }],
    }
    const s1 = {
      ...shard('1', R1, '/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1', []),
      superPeers: [{ peerId: SP, addrs: [direct, `/ip4/203.0.113.7/tcp/4002/p2p/${SP}`] }],
    }
    const doc = buildBootstrapDocument({ network: 'n', private: false, stun: [], stats: [s0, s1], peers: 0 })
    expect(parseBootstrapDocument(doc)).toEqual(doc)
    expect(doc.superPeers).toEqual([{ peerId: SP, addrs: [direct, `/ip4/203.0.113.7/tcp/4002/p2p/${SP}`] }])
  })

  it('drops shards, circuit and foreign addresses, and peers left with none', () => {
    const s0 = {
      ...shard('0', R0, '/ip4/127.0.0.1/tcp/8787/ws', []),
      superPeers: [
        { peerId: R0, addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R0}`] },
        {
          peerId: PA,
          addrs: [`/ip4/203.0.113.8/tcp/1/p2p/${PB}`, `/ip4/1.2.3.4/tcp/1/p2p/${R0}/p2p-circuit/p2p/${PA}`],
        },
      ],
    }
    const doc = buildBootstrapDocument({ network: 'n', private: false, stun: [], stats: [s0], peers: 0 })
    expect(doc.superPeers).toEqual([])
  })

  it('is always written, bounded', () => {
    const many = Array.from({ length: 40 }, (_, i) => {
      const id = `12D3KooW${'x'.repeat(40)}${'abcdefghij'[i % 10]}${'abcdefghij'[Math.floor(i / 10)]}`
      return { peerId: id, addrs: [`/ip4/203.0.113.7/tcp/${4000 + i}/p2p/${id}`] }
    })
    const s0 = { ...shard('0', R0, '/ip4/127.0.0.1/tcp/8787/ws', []), superPeers: many }
    const doc = buildBootstrapDocument({ network: 'n', private: false, stun: [], stats: [s0], peers: 0 })
    expect(doc.superPeers).toHaveLength(32)
    expect(parseBootstrapDocument(doc).superPeers).toHaveLength(32)
    const none = buildBootstrapDocument({ network: 'n', private: false, stun: [], stats: [], peers: 0 })
    expect(none.superPeers).toEqual([])
  })
})

describe('shuffle', () => {
  it('permutes with the given random source', () => {
    expect(shuffle([1, 2, 3, 4], () => 0)).toEqual([2, 3, 4, 1])
    const out = shuffle([...Array(50).keys()])
    expect([...out].sort((x, y) => x - y)).toEqual([...Array(50).keys()])
  })
})

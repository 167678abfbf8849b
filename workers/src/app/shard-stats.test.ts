import { describe, expect, it } from 'vitest'
import { parseShardStats } from './shard-stats.ts'

const R = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const SP = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

function answer(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    shard: '0',
    peerId: R,
    addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R}`],
    connections: 2,
    reservations: 1,
    circuits: 0,
    circuitsTotal: 0,
    bytesRelayed: 0,
    refusals: {},
    peers: [],
    uptimeSeconds: 1,
    ...extra,
  }
}

describe('parseShardStats: superPeers', () => {
  it('keeps the super-peers a shard reports', () => {
    const superPeers = [{ peerId: SP, addrs: [`/ip4/203.0.113.7/tcp/4001/ws/p2p/${SP}`] }]
    expect(parseShardStats(answer({ superPeers }), '0').superPeers).toEqual(superPeers)
  })

  it('reads a shard of an older version (no field) as none', () => {
    expect(parseShardStats(answer(), '0').superPeers).toEqual([])
  })

  it('names a malformed entry', () => {
    expect(() => parseShardStats(answer({ superPeers: {} }), '0')).toThrow(
      /^shard 0 stats\.superPeers must be an array/,
    )
    expect(() => parseShardStats(answer({ superPeers: [{ peerId: SP, addrs: [''] }] }), '0')).toThrow(
      /^shard 0 stats\.superPeers\[0\]\.addrs\[0\] must be a non-empty string/,
    )
  })
})

import { describe, expect, it } from 'vitest'
import { indexShardOf } from './index-shards.ts'
import { circuitRelayOf, vouchedAddrs } from './vouch.ts'

const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const SHARD = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const OTHER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const SHARD_ADDR = `/ip4/127.0.0.1/tcp/8787/ws/p2p/${SHARD}`

describe('vouchedAddrs', () => {
  const shards = new Map([[SHARD, [SHARD_ADDR]]])

  it('keeps direct addresses on the announcing IP and circuits through our shards only', () => {
    const out = vouchedAddrs(
      PEER,
      [
        '/ip4/203.0.113.7/tcp/4001/ws',
        '/ip4/198.51.100.2/tcp/4001/ws',
        `/ip4/10.0.0.1/tcp/1/ws/p2p/${SHARD}/p2p-circuit/p2p/${PEER}`,
        `/ip4/10.0.0.1/tcp/1/ws/p2p/${OTHER}/p2p-circuit/p2p/${PEER}`,
        `/ip4/203.0.113.7/tcp/4001/ws/p2p/${OTHER}`,
      ],
      '203.0.113.7',
      shards,
    )
    expect(out).toEqual([`/ip4/203.0.113.7/tcp/4001/ws/p2p/${PEER}`, `${SHARD_ADDR}/p2p-circuit/p2p/${PEER}`])
  })

  it('reads the relay of a circuit address', () => {
    expect(circuitRelayOf(`${SHARD_ADDR}/p2p-circuit/p2p/${PEER}`)).toBe(SHARD)
    expect(circuitRelayOf('/ip4/1.2.3.4/tcp/1')).toBeUndefined()
    expect(circuitRelayOf('garbage')).toBeUndefined()
  })

  it('spreads keys over index shards deterministically', () => {
    expect(indexShardOf('abc', 4)).toBe(indexShardOf('abc', 4))
    const seen = new Set(Array.from({ length: 200 }, (_, i) => indexShardOf(`k${i}`, 4)))
    expect(seen.size).toBe(4)
  })
})

import { identify } from '@libp2p/identify'
import { kadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { kadRoutingTableOf, stopClosestPeerTagging } from './kad-routing-table.ts'

describe('contract: kad-dht routing table internals', () => {
  it('a kad-dht node exposes its table (size, contacts with kad IDs) and a closest-peer tagger we can stop', async () => {
    const node = await createLibp2p({
      services: { identify: identify(), ping: ping(), dht: kadDHT({ protocol: '/contract/kad/1.0.0' }) },
    })
    try {
      const table = kadRoutingTableOf(node.services.dht)
      expect(table.size).toBe(0)
      expect([...table.kb.toIterable()]).toEqual([])
      const tagger = table.closestPeerTagger as unknown as { running: boolean; timeout: unknown }
      expect(tagger.running).toBe(true)
      stopClosestPeerTagging(node.services.dht)
      expect(tagger.running).toBe(false)
    } finally {
      await node.stop()
    }
  })

  it('fails loudly when the internals are not there', () => {
    expect(() => kadRoutingTableOf({} as never)).toThrow(/kad-dht changed/)
  })
})

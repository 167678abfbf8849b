import { identify } from '@libp2p/identify'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { edgeswarmGossipsub, type GossipInternals, scoreTopic, topicScoreParams } from './gossip-options.ts'

describe('contract: the GossipSub members we use beyond its interface', () => {
  it('exposes live score params (a topic added after start is scored), peer scores and mesh peers', async () => {
    const node = await createLibp2p({ services: { identify: identify(), pubsub: edgeswarmGossipsub() } })
    try {
      const gs = node.services.pubsub as unknown as GossipInternals & { subscribe: (t: string) => void }
      expect(gs.score.params.topics).toEqual({})
      gs.subscribe('contract')
      scoreTopic(gs, 'contract')
      const params = gs.score.params.topics.contract
      expect(params?.invalidMessageDeliveriesWeight).toBe(topicScoreParams().invalidMessageDeliveriesWeight)
      // idempotent: a second subscribe keeps the object the scorer already holds
      scoreTopic(gs, 'contract')
      expect(gs.score.params.topics.contract).toBe(params)
      expect(gs.getScore(node.peerId.toString())).toBe(0)
      expect(gs.getMeshPeers('contract')).toEqual([])
    } finally {
      await node.stop()
    }
  })
})

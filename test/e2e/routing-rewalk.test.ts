/**
 * A provided record is walked to the DHT again once the provider's routing table has grown: here a peer
 * that provides while it knows nobody (no edge, an empty table: nothing is stored anywhere) and joins
 * afterwards. Its record must become findable through the DHT alone from another peer. Without the
 * re-walk it never would (kad-dht's reprovide runs hours later). The threshold is lowered for the
 * 6-peer overlay (DEFAULT_ROUTING_REWALK_GROWTH is 20).
 */

import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, describe, expect, it } from 'vitest'
import {
  joinAddrs,
  type Overlay,
  type OverlayNode,
  startOverlay,
  startOverlayNode,
} from '../helpers/overlay.ts'
import { waitFor } from '../helpers/wait.ts'

describe('routing: records walked again as the routing table grows', () => {
  let overlay: Overlay | undefined
  let lone: OverlayNode | undefined
  afterAll(async () => {
    await lone?.stop()
    await overlay?.stop()
  })

  it('a record provided with an empty table is found through the DHT alone once its peer joined', async () => {
    const routing = { rewalkGrowth: 2, rewalkCheckMs: 300 }
    overlay = await startOverlay({ size: 5, edgeUrl: '', routing })
    lone = await startOverlayNode({ size: 1, edgeUrl: '', routing })
    const cid = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`rewalk-${Date.now()}`)))
    const r = await lone.routing.provide(cid.toString())
    expect(r.stored).toEqual([]) // no edge, nobody in the table: stored nowhere yet
    const addrs = overlay.nodes.map((n) => n.node.getMultiaddrs()[0]!.toString())
    await joinAddrs(lone, addrs, 3, 'lone')
    await waitFor('the record walked again', () => lone!.events.includes('routing.rewalked'), 60_000, 100)
    const want = lone.node.peerId.toString()
    const seeker = overlay.nodes[4]!
    const found = await waitFor(
      `peer 4 finds ${cid} through the DHT`,
      async () => {
        for await (const p of seeker.routing.findProviders(cid.toString(), {
          signal: AbortSignal.timeout(10_000),
        })) {
          if (p.peerId === want) return p
        }
        return false
      },
      30_000,
      500,
    )
    expect(found.source).toBe('dht')
    expect(found.addrs.length).toBeGreaterThan(0)
  }, 120_000)
})

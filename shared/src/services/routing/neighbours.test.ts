import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { bucketOf, compareDistance, kadIdOf, wantedPeers } from './neighbours.ts'

async function contacts(n: number) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      return { peerId, kadId: await kadIdOf(peerId) }
    }),
  )
}

describe('wantedPeers', () => {
  it('picks the closest peers by XOR distance, then one long link per other bucket, farthest first', async () => {
    const self = await kadIdOf(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
    const table = await contacts(60)
    const { close, long } = wantedPeers(self, table, 10, new Set(), new Set())
    const byDistance = [...table].sort((a, b) => compareDistance(self, a.kadId, b.kadId))
    expect(close).toEqual(byDistance.slice(0, 10).map((c) => c.peerId.toString()))
    const bucket = new Map(table.map((c) => [c.peerId.toString(), bucketOf(self, c.kadId)]))
    const closeBuckets = new Set(close.map((id) => bucket.get(id)))
    const longBuckets = long.map((id) => bucket.get(id)!)
    // one per bucket, none in a bucket the close peers cover, ascending common prefix (farthest first)
    expect(new Set(longBuckets).size).toBe(longBuckets.length)
    for (const b of longBuckets) expect(closeBuckets.has(b)).toBe(false)
    expect(longBuckets).toEqual([...longBuckets].sort((a, b) => a - b))
    // every bucket with a contact and no close peer has its long link
    const all = new Set([...bucket.values()].filter((b) => !closeBuckets.has(b)))
    expect(new Set(longBuckets)).toEqual(all)
  })

  it('prefers a connected peer in a bucket and never picks a skipped one', async () => {
    const self = await kadIdOf(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
    const table = await contacts(40)
    const farthest = table.filter((c) => bucketOf(self, c.kadId) === 0)
    expect(farthest.length).toBeGreaterThan(1)
    const connected = farthest[farthest.length - 1]!.peerId.toString()
    const skipped = farthest[0]!.peerId.toString()
    const { close, long } = wantedPeers(self, table, 3, new Set([connected]), new Set([skipped]))
    expect(long[0]).toBe(connected)
    expect([...close, ...long]).not.toContain(skipped)
  })
})

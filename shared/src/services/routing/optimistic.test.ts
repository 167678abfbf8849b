import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { overlayDht } from './dht.ts'
import {
  encodeAddProvider,
  keyspaceDistance,
  networkSizeEstimate,
  sendAddProvider,
  withinKClosest,
} from './optimistic.ts'

/** Deterministic 32-byte IDs (xorshift), uniformly spread like SHA-256 kad IDs. */
function ids(n: number, seed: number): Uint8Array[] {
  let x = seed >>> 0 || 1
  const byte = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) & 0xff
  }
  return Array.from({ length: n }, () => Uint8Array.from({ length: 32 }, byte))
}

describe('optimistic provide: network size and the K-closest distance', () => {
  it('estimates the network size from the closest contacts (within 2x at 50, 200 and 1000 peers)', () => {
    for (const n of [50, 200, 1000]) {
      const estimates: number[] = []
      for (let seed = 1; seed <= 25; seed++) {
        const [self, ...others] = ids(n, seed * 7919 + n)
        estimates.push(networkSizeEstimate(self!, others)!)
      }
      estimates.sort((a, b) => a - b)
      const median = estimates[Math.floor(estimates.length / 2)]!
      expect(median, `median estimate at n = ${n}`).toBeGreaterThan(n / 2)
      expect(median, `median estimate at n = ${n}`).toBeLessThan(n * 2)
    }
  })

  it('an empty table gives no estimate, a tiny one its own size at least', () => {
    expect(networkSizeEstimate(new Uint8Array(32), [])).toBeUndefined()
    const [self, a, b] = ids(3, 5)
    expect(networkSizeEstimate(self!, [a!, b!])).toBeGreaterThanOrEqual(2)
  })

  it('the threshold takes most of the true 20 closest and few others', () => {
    let hits = 0
    let extra = 0
    const trials = 40
    for (let seed = 1; seed <= trials; seed++) {
      const [key, ...peers] = ids(201, seed * 104729)
      const ranked = [...peers].sort((a, b) => keyspaceDistance(key!, a) - keyspaceDistance(key!, b))
      const inside = new Set(peers.filter((p) => withinKClosest(key!, p, 200, 20)))
      hits += ranked.slice(0, 20).filter((p) => inside.has(p)).length
      extra += [...inside].filter((p) => !ranked.slice(0, 20).includes(p)).length
    }
    // a peer within K/(N+1) is a true top-K peer most of the time, and most top-K peers are within it
    expect(hits / (20 * trials)).toBeGreaterThan(0.7)
    expect(extra / trials).toBeLessThan(8)
  })

  it('an empty table (n from a lone peer) sends to everyone it meets: all of them are among the K closest', () => {
    const [key, peer] = ids(2, 99)
    expect(withinKClosest(key!, peer!, 1, 20)).toBe(true)
  })
})

describe('contract: our ADD_PROVIDER is the one stock kad-dht stores', () => {
  let provider: Libp2p<{ dht: KadDHT }>
  let holder: Libp2p<{ dht: KadDHT }>
  const make = (server: boolean) =>
    createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping(), dht: overlayDht({ server }) },
    })

  beforeAll(async () => {
    provider = await make(false)
    holder = await make(true)
    await provider.dial(holder.getMultiaddrs()[0]!)
  })
  afterAll(async () => {
    await provider?.stop()
    await holder?.stop()
  })

  /**
   * The providers the holder answers for `cid` from its own store. Its network walk never starts (kad-dht
   * parks a query until the routing table holds a server, and the holder knows none), so the local
   * answer is all there is: the first PROVIDER event, or nothing until `ms` has passed.
   */
  async function held(cid: CID, ms: number): Promise<string[]> {
    try {
      for await (const ev of holder.services.dht.findProviders(cid, { signal: AbortSignal.timeout(ms) })) {
        if (ev.name === 'PROVIDER') return ev.providers.map((p) => p.id.toString())
      }
    } catch (err) {
      if ((err as Error).name !== 'TimeoutError' && (err as Error).name !== 'AbortError') throw err
    }
    return []
  }

  it('a record sent with sendAddProvider is held by a stock kad-dht server, for the sender only', async () => {
    const cid = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('optimistic provide')))
    const msg = encodeAddProvider(cid, provider.peerId, provider.getMultiaddrs())
    await sendAddProvider(provider, holder.peerId, msg, AbortSignal.timeout(5_000))
    // the holder stores it after reading the stream: its first local answer that names a provider
    let got: string[] = []
    for (let i = 0; i < 20 && got.length === 0; i++) got = await held(cid, 250)
    expect(got).toEqual([provider.peerId.toString()])

    // a record naming another peer is dropped by kad-dht's rule: only the sender may provide itself
    const other = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('someone else')))
    const forged = encodeAddProvider(other, holder.peerId, holder.getMultiaddrs())
    await sendAddProvider(provider, holder.peerId, forged, AbortSignal.timeout(5_000))
    expect(await held(other, 2_000)).toEqual([])
  })
})

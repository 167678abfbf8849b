/** Pure pieces of the browser peer (no Chromium): path classification and backoff. */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { Backoff } from '../../browser/src/backoff.ts'
import { classify, pathLabel } from '../../browser/src/paths.ts'

const R0 = '12D3KooWHfZVu9kBHwTJMoDR1nktaEsrcjRQDHbQpmkY1wzX2D8B'
const R1 = '12D3KooWMSBv76YFUfw4HDEBkHCiFfuQMAd7njasckpKXGJJddo2'
const P = '12D3KooWLqMiSzDuFfEDgrvHyKZkKdnZjkuncmoViQqrkLttxNnv'
const shards: Record<string, string> = { [R0]: '0', [R1]: '1' }
const shardOf = (id: string) => shards[id]
const conn = (a: string) => ({ remoteAddr: multiaddr(a) })

describe('browser path classification', () => {
  it('tells direct WebRTC, relayed circuits (with their shard) and WebSockets apart', () => {
    const relayed = classify(conn(`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R0}/p2p-circuit/p2p/${P}`), shardOf)
    expect(relayed).toEqual({ kind: 'relayed', relayPeer: R0, shard: '0' })
    expect(pathLabel(relayed, true)).toBe('relayed via shard 0')

    const viaHttpPath = classify(
      conn(`/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1/p2p/${R1}/p2p-circuit/p2p/${P}`),
      shardOf,
    )
    expect(viaHttpPath.shard).toBe('1')

    const dialerWebRtc = classify(
      conn(`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R0}/p2p-circuit/webrtc/p2p/${P}`),
      shardOf,
    )
    expect(dialerWebRtc.kind).toBe('webrtc')
    expect(pathLabel(dialerWebRtc, true)).toBe('direct WebRTC')
    expect(pathLabel(dialerWebRtc, undefined)).toBe('WebRTC (unverified)')
    expect(classify(conn(`/webrtc/p2p/${P}`), shardOf).kind).toBe('webrtc')

    expect(classify(conn(`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R0}`), shardOf).kind).toBe('websocket')
    const foreign = classify(conn(`/ip4/10.0.0.1/tcp/9/ws/p2p/${P}/p2p-circuit/p2p/${R1}`), shardOf)
    expect(pathLabel(foreign, true)).toBe(`relayed via relay ${P.slice(-6)}`)
  })
})

describe('browser backoff', () => {
  it('grows with jitter up to its maximum and resets', () => {
    const b = new Backoff(100, 1_000)
    const delays = Array.from({ length: 12 }, () => b.next())
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(50)
      expect(d).toBeLessThanOrEqual(1_000)
    }
    expect(Math.max(...delays.slice(-4))).toBeGreaterThan(100)
    b.reset()
    expect(b.attempts).toBe(0)
    expect(b.next()).toBeLessThanOrEqual(100)
  })
})

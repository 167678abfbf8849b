import { describe, expect, it } from 'vitest'
import { BOOTSTRAP_API_VERSION } from '../constants.ts'
import { type BootstrapDocument, parseBootstrapDocument, STUN_URL_PATTERN } from './bootstrap.ts'

// Two syntactically valid Ed25519 peer IDs (base58btc identity multihashes).
const RELAY = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const PEER = '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F83ZeyYgNcA8Dp'

function doc(): BootstrapDocument {
  return {
    version: BOOTSTRAP_API_VERSION,
    network: 'edgeswarm',
    protocol: '/edgeswarm/1.0.0',
    private: false,
    relays: [{ shard: '0', peerId: RELAY, addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${RELAY}`] }],
    peers: [{ peerId: PEER, addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`] }],
    superPeers: [{ peerId: PEER, addrs: [`/ip4/203.0.113.7/tcp/4001/ws/p2p/${PEER}`] }],
    stun: ['stun:stun.example.com:3478'],
    generatedAt: '2026-11-22T05:00:00.000Z',
  }
}

function errorOf(v: unknown): string {
  try {
    parseBootstrapDocument(v)
  } catch (err) {
    expect((err as Error).name).toBe('InvalidInputError')
    return (err as Error).message
  }
  throw new Error('expected parseBootstrapDocument to throw')
}

describe('parseBootstrapDocument', () => {
  it('accepts a valid document and returns an equal copy', () => {
    const input = doc()
    expect(parseBootstrapDocument(JSON.parse(JSON.stringify(input)))).toEqual(input)
  })

  it('names the offending field and value', () => {
    expect(errorOf({ ...doc(), version: 2 })).toMatch(/^bootstrap\.version must be 1, got 2/)
    expect(errorOf({ ...doc(), network: 'a b' })).toMatch(/^bootstrap\.network must be/)
    expect(errorOf({ ...doc(), private: 'no' })).toMatch(/^bootstrap\.private must be a boolean/)
    expect(errorOf(null)).toMatch(/^bootstrap must be an object/)
    expect(errorOf({ ...doc(), relays: {} })).toMatch(/^bootstrap\.relays must be an array/)
  })

  it('requires every address to end in /p2p/<its peer ID>', () => {
    const wrongRelay = doc()
    wrongRelay.relays[0]!.addrs = ['/ip4/127.0.0.1/tcp/8787/ws']
    expect(errorOf(wrongRelay)).toMatch(
      /^bootstrap\.relays\[0\]\.addrs\[0\] must be a multiaddr ending in \/p2p\//,
    )
    const wrongPeer = doc()
    wrongPeer.peers[0]!.addrs = [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${RELAY}`]
    expect(errorOf(wrongPeer)).toMatch(/^bootstrap\.peers\[0\]\.addrs\[0\]/)
  })

  it('rejects duplicate shards and peers', () => {
    const d = doc()
    d.relays.push({ ...d.relays[0]! })
    expect(errorOf(d)).toMatch(/^bootstrap\.relays\[1\] must be unique/)
    const p = doc()
    p.peers.push({ ...p.peers[0]! })
    expect(errorOf(p)).toMatch(/^bootstrap\.peers\[1\] must be unique/)
  })

  it('bounds list sizes', () => {
    const d = doc()
    d.stun = Array.from({ length: 17 }, (_, i) => `stun:s${i}.example.com`)
    expect(errorOf(d)).toMatch(/^bootstrap\.stun must be an array of at most 16 items/)
    const p = doc()
    p.peers = Array.from({ length: 65 }, () => p.peers[0]!)
    expect(errorOf(p)).toMatch(/^bootstrap\.peers must be an array of at most 64 items/)
  })

  it('reads a document without superPeers (older edge) as listing none', () => {
    const { superPeers: _, ...old } = doc()
    expect(parseBootstrapDocument(old).superPeers).toEqual([])
  })

  it('checks superPeers like peers: own /p2p suffix, unique, bounded', () => {
    const wrong = doc()
    wrong.superPeers[0]!.addrs = [`/ip4/203.0.113.7/tcp/4001/ws/p2p/${RELAY}`]
    expect(errorOf(wrong)).toMatch(/^bootstrap\.superPeers\[0\]\.addrs\[0\] must be a multiaddr ending in/)
    const dup = doc()
    dup.superPeers.push({ ...dup.superPeers[0]! })
    expect(errorOf(dup)).toMatch(/^bootstrap\.superPeers\[1\] must be unique/)
    const many = doc()
    many.superPeers = Array.from({ length: 33 }, () => many.superPeers[0]!)
    expect(errorOf(many)).toMatch(/^bootstrap\.superPeers must be an array of at most 32 items/)
    expect(errorOf({ ...doc(), superPeers: 'x' })).toMatch(/^bootstrap\.superPeers must be an array/)
  })

  it('checks generatedAt is an ISO-8601 UTC time', () => {
    expect(errorOf({ ...doc(), generatedAt: 'yesterday' })).toMatch(/^bootstrap\.generatedAt/)
  })
})

describe('STUN_URL_PATTERN', () => {
  it.each([
    'stun:stun.l.google.com:19302',
    'stun:10.0.0.1',
    'stuns:stun.example.com:5349',
    'stun:[2001:db8::1]:3478',
  ])('accepts %s', (url) => expect(STUN_URL_PATTERN.test(url)).toBe(true))

  it.each([
    'turn:turn.example.com',
    'stun:',
    'stun://stun.example.com',
    'stun:host:port',
    'stun:a b',
    'stun:host:3478/path',
  ])('rejects %s', (url) => expect(STUN_URL_PATTERN.test(url)).toBe(false))
})

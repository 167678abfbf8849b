import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ShardStats } from '../objects/shard-contract.ts'
import { parseSettings } from './settings.ts'
import { allShardStats, clientIpOf, type ShardNamespace } from './shards.ts'

const PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

function stats(shard: string): ShardStats {
  return {
    shard,
    peerId: PEER,
    addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${PEER}`],
    connections: 1,
    reservations: 0,
    circuits: 0,
    circuitsTotal: 0,
    bytesRelayed: 0,
    refusals: { malformed: 2 },
    peers: [],
    superPeers: [],
    uptimeSeconds: 3,
  }
}

/** A fake RELAY_SHARD namespace: `answer(name, request)` plays the Durable Object `name`. */
function namespace(
  answer: (name: string, request: Request) => Promise<Response>,
): ShardNamespace & { seen: Request[] } {
  const seen: Request[] = []
  return {
    seen,
    idFromName: (name: string) => ({ name }) as unknown as DurableObjectId,
    get: (id: DurableObjectId) => ({
      fetch: (request: Request) => {
        seen.push(request)
        return answer((id as unknown as { name: string }).name, request)
      },
    }),
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('allShardStats', () => {
  it('asks every shard with the contract headers and keeps failures apart', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const ns = namespace(async (name) => {
      if (name === 'shard-0') return Response.json(stats('0'))
      if (name === 'shard-1') return new Response('nope', { status: 503 })
      if (name === 'shard-2') return Response.json({ ...stats('2'), connections: -1 })
      return new Promise<Response>(() => undefined) // shard-3 never answers
    })
    const settings = parseSettings({ RELAY_SHARDS: '4' })
    const results = await allShardStats(ns, settings, {
      peers: 5,
      publicUrl: 'http://127.0.0.1:8787',
      timeoutMs: 50,
      route: 'test',
    })
    expect(results.map((r) => ('stats' in r ? 'ok' : r.error.name))).toEqual([
      'ok',
      'Error',
      'InvalidInputError',
      'TimeoutError',
    ])
    const first = ns.seen[0]!
    expect(new URL(first.url).pathname).toBe('/internal/stats')
    expect(new URL(first.url).searchParams.get('peers')).toBe('5')
    expect(first.headers.get('x-edgeswarm-shard')).toBe('0')
    expect(first.headers.get('x-edgeswarm-public-url')).toBe('http://127.0.0.1:8787')
    // one JSON log line per failed shard
    expect(console.warn).toHaveBeenCalledTimes(3)
    const line = JSON.parse(String(vi.mocked(console.warn).mock.calls[0]![0]))
    expect(line).toMatchObject({ event: 'shard.unavailable', shard: '1', route: 'test' })
  })
})

describe('clientIpOf', () => {
  it('prefers CF-Connecting-IP, then X-Real-IP, then the first X-Forwarded-For', () => {
    const ip = (h: Record<string, string>) => clientIpOf(new Request('http://x/', { headers: h }))
    expect(ip({ 'cf-connecting-ip': '1.2.3.4', 'x-real-ip': '5.6.7.8' })).toBe('1.2.3.4')
    expect(ip({ 'x-real-ip': '5.6.7.8' })).toBe('5.6.7.8')
    expect(ip({ 'x-forwarded-for': '9.9.9.9, 10.0.0.1' })).toBe('9.9.9.9')
    expect(ip({})).toBe('unknown')
  })
})

import { describe, expect, it } from 'vitest'
import { parseSettings } from '../app/settings.ts'
import type { ShardNamespace } from '../app/shards.ts'
import { forwardUpgrade, isShard, isWebSocketUpgrade } from './relay.ts'

describe('relay routing helpers', () => {
  it('accepts only shard names of this deployment', () => {
    const s = { shards: 3 }
    expect(['0', '1', '2'].map((n) => isShard(n, s))).toEqual([true, true, true])
    expect(['3', '01', '-1', 'a', '', '1000', '1.0'].some((n) => isShard(n, s))).toBe(false)
  })

  it('detects a WebSocket upgrade', () => {
    expect(isWebSocketUpgrade(new Request('http://x/', { headers: { upgrade: 'WebSocket' } }))).toBe(true)
    expect(isWebSocketUpgrade(new Request('http://x/', { headers: { upgrade: 'h2c' } }))).toBe(false)
    expect(isWebSocketUpgrade(new Request('http://x/'))).toBe(false)
  })

  it('forwards to shard-<n> with the contract headers, overwriting what the client sent', async () => {
    let target = ''
    let forwarded: Request | undefined
    const ns: ShardNamespace = {
      idFromName: (name: string) => {
        target = name
        return {} as DurableObjectId
      },
      get: () => ({
        fetch: async (request: Request) => {
          forwarded = request
          return new Response(null, { status: 204 })
        },
      }),
    }
    const request = new Request('http://edge.example:8787/relay/1', {
      headers: {
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'cf-connecting-ip': '203.0.113.9',
        'x-edgeswarm-client-ip': '1.1.1.1',
        'x-edgeswarm-shard': '0',
      },
    })
    await forwardUpgrade(ns, parseSettings({}), request, '1')
    expect(target).toBe('shard-1')
    expect(forwarded!.url).toBe('https://shard.internal/internal/connect')
    expect(forwarded!.headers.get('upgrade')).toBe('websocket')
    expect(forwarded!.headers.get('sec-websocket-key')).toBe('dGhlIHNhbXBsZSBub25jZQ==')
    expect(forwarded!.headers.get('x-edgeswarm-shard')).toBe('1')
    expect(forwarded!.headers.get('x-edgeswarm-client-ip')).toBe('203.0.113.9')
    expect(forwarded!.headers.get('x-edgeswarm-public-url')).toBe('http://edge.example:8787')
    await forwardUpgrade(ns, parseSettings({ PUBLIC_URL: 'https://relay.example.com/' }), request, '1')
    expect(forwarded!.headers.get('x-edgeswarm-public-url')).toBe('https://relay.example.com')
  })
})

import { multiaddrToUri } from '@multiformats/multiaddr-to-uri'
import { describe, expect, it } from 'vitest'
import { shardMultiaddr } from './addresses.ts'

describe('shardMultiaddr', () => {
  it('shard 0 on a local http URL is a plain /ws address (stock libp2p peers can dial it)', () => {
    expect(shardMultiaddr('http://127.0.0.1:8787', '0').toString()).toBe('/ip4/127.0.0.1/tcp/8787/ws')
  })

  it('https hosts use /dns4/<host>/tcp/443/tls/ws', () => {
    expect(shardMultiaddr('https://relay.example.com', '0').toString()).toBe(
      '/dns4/relay.example.com/tcp/443/tls/ws',
    )
    expect(shardMultiaddr('https://relay.example.com:8443/', '0').toString()).toBe(
      '/dns4/relay.example.com/tcp/8443/tls/ws',
    )
  })

  it('shard n >= 1 adds /http-path/relay%2F<n>, which renders as ws://host:port/relay/<n>', () => {
    const ma = shardMultiaddr('http://127.0.0.1:8787', '3')
    expect(ma.toString()).toBe('/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F3')
    expect(multiaddrToUri(ma)).toBe('ws://127.0.0.1:8787/relay/3')
    expect(multiaddrToUri(shardMultiaddr('https://relay.example.com', '1'))).toBe(
      'wss://relay.example.com/relay/1',
    )
  })

  it('keeps a path prefix of the public URL', () => {
    const ma = shardMultiaddr('https://example.com/edge/', '2')
    expect(multiaddrToUri(ma)).toBe('wss://example.com/edge/relay/2')
  })

  it('handles IPv6 literals', () => {
    expect(shardMultiaddr('http://[::1]:8787', '0').toString()).toBe('/ip6/::1/tcp/8787/ws')
  })

  it('rejects URLs that are not http(s) with a ConfigError', () => {
    expect(() => shardMultiaddr('ftp://example.com', '0')).toThrow(
      expect.objectContaining({ name: 'ConfigError' }),
    )
    expect(() => shardMultiaddr('not a url', '0')).toThrow(expect.objectContaining({ name: 'ConfigError' }))
  })
})

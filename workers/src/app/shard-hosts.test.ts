import { describe, expect, it } from 'vitest'
import { shardMultiaddr } from '../relay/addresses.ts'
import { parseSettings } from './settings.ts'
import { shardOfHost, shardUrl } from './shard-hosts.ts'

describe('shards by host', () => {
  const deployed = parseSettings({
    RELAY_SHARDS: '3',
    PUBLIC_URL: 'https://relay.example.com',
    SHARD_HOST: 'shard-{n}.relay.example.com',
  })
  const local = parseSettings({
    RELAY_SHARDS: '3',
    PUBLIC_URL: 'http://127.0.0.1:8787',
    SHARD_PORTS: '9001,9002',
  })

  it('gives shard n its own DNS name (deployments) or port (wrangler dev); shard 0 keeps the main URL', () => {
    expect(shardUrl(deployed, 'https://relay.example.com', '0')).toEqual({
      url: 'https://relay.example.com',
      byHost: false,
    })
    const one = shardUrl(deployed, 'https://relay.example.com', '1')
    expect(one).toEqual({ url: 'https://shard-1.relay.example.com', byHost: true })
    expect(shardMultiaddr(one.url, '1', one.byHost).toString()).toBe(
      '/dns4/shard-1.relay.example.com/tcp/443/tls/ws',
    )
    const two = shardUrl(local, 'http://127.0.0.1:8787', '2')
    expect(two).toEqual({ url: 'http://127.0.0.1:9002', byHost: true })
    expect(shardMultiaddr(two.url, '2', two.byHost).toString()).toBe('/ip4/127.0.0.1/tcp/9002/ws')
  })

  it('without SHARD_HOST / SHARD_PORTS keeps /http-path addressing', () => {
    const plain = parseSettings({ RELAY_SHARDS: '2' })
    const one = shardUrl(plain, 'http://127.0.0.1:8787', '1')
    expect(one.byHost).toBe(false)
    expect(shardMultiaddr(one.url, '1', one.byHost).toString()).toBe(
      '/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1',
    )
    expect(shardOfHost(plain, 'http://127.0.0.1:8787/')).toBeUndefined()
  })

  it('routes a request by its host; unknown hosts and shards out of range are not shards', () => {
    expect(shardOfHost(deployed, 'https://shard-2.relay.example.com/')).toBe('2')
    expect(shardOfHost(deployed, 'https://SHARD-1.relay.example.com/')).toBe('1')
    expect(shardOfHost(deployed, 'https://shard-3.relay.example.com/')).toBeUndefined()
    expect(shardOfHost(deployed, 'https://relay.example.com/')).toBeUndefined()
    expect(shardOfHost(local, 'http://127.0.0.1:9001/')).toBe('1')
    expect(shardOfHost(local, 'http://127.0.0.1:8787/')).toBeUndefined()
  })

  it('refuses bad values with the variable named', () => {
    expect(() =>
      parseSettings({ SHARD_HOST: 'shard.example.com', PUBLIC_URL: 'https://x.example.com' }),
    ).toThrow(/SHARD_HOST must be a host name/)
    expect(() => parseSettings({ SHARD_HOST: 'shard-{n}.example.com' })).toThrow(
      /SHARD_HOST needs PUBLIC_URL/,
    )
    expect(() => parseSettings({ SHARD_PORTS: '9001,x', PUBLIC_URL: 'http://127.0.0.1:1' })).toThrow(
      /SHARD_PORTS\[1\] must be an integer/,
    )
    expect(() => parseSettings({ SHARD_PORTS: '9001' })).toThrow(/SHARD_PORTS needs PUBLIC_URL/)
  })
})

import { describe, expect, it } from 'vitest'
import { RELAY_DEFAULTS } from '#shared/config.ts'
import { parseSettings, shardNames } from './settings.ts'

function configError(vars: Record<string, string>): string {
  try {
    parseSettings(vars)
  } catch (err) {
    expect((err as Error).name).toBe('ConfigError')
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('parseSettings', () => {
  it('applies the defaults to empty vars', () => {
    const s = parseSettings({
      NETWORK_NAME: '',
      RELAY_SHARDS: '',
      STUN_SERVERS: '',
      PUBLIC_URL: '',
      NETWORK_KEY: '',
    })
    expect(s).toEqual({
      network: 'edgeswarm',
      shards: 2,
      stun: [],
      publicUrl: undefined,
      networkKey: undefined,
      relay: RELAY_DEFAULTS,
    })
    expect(Object.isFrozen(s)).toBe(true)
  })

  it('parses every var', () => {
    const s = parseSettings({
      NETWORK_NAME: 'lab-1',
      RELAY_SHARDS: '3',
      STUN_SERVERS: ' stun:stun.example.com:3478, stun:10.0.0.1 ,',
      PUBLIC_URL: 'https://relay.example.com/',
      NETWORK_KEY: 'k',
      MAX_CIRCUITS: '7',
      AUTH_GRACE_SECONDS: '0',
    })
    expect(s.network).toBe('lab-1')
    expect(s.shards).toBe(3)
    expect(s.stun).toEqual(['stun:stun.example.com:3478', 'stun:10.0.0.1'])
    expect(s.publicUrl).toBe('https://relay.example.com')
    expect(s.networkKey).toBe('k')
    expect(s.relay.maxCircuits).toBe(7)
    expect(s.relay.authGraceSeconds).toBe(0)
    expect(shardNames(s)).toEqual(['0', '1', '2'])
  })

  it('keeps a base path of PUBLIC_URL', () => {
    expect(parseSettings({ PUBLIC_URL: 'http://127.0.0.1:8787/edge/' }).publicUrl).toBe(
      'http://127.0.0.1:8787/edge',
    )
  })

  it('names the bad var and value', () => {
    expect(configError({ RELAY_SHARDS: 'two' })).toBe('RELAY_SHARDS must be an integer, got "two"')
    expect(configError({ RELAY_SHARDS: '0' })).toBe('RELAY_SHARDS must be an integer in [1, 256], got 0')
    expect(configError({ RELAY_SHARDS: '999' })).toMatch(/^RELAY_SHARDS must be an integer in \[1, 256\]/)
    expect(configError({ NETWORK_NAME: 'my net' })).toMatch(/^NETWORK_NAME must be/)
    expect(configError({ STUN_SERVERS: 'stun:a.example.com,turn:b.example.com' })).toMatch(
      /^STUN_SERVERS\[1\] must be a stun:host\[:port\] URL, got "turn:b.example.com"/,
    )
    expect(configError({ STUN_SERVERS: 'stun:a.example.com:70000' })).toMatch(/^STUN_SERVERS\[0\]/)
    expect(configError({ PUBLIC_URL: 'relay.example.com' })).toMatch(/^PUBLIC_URL must be an absolute/)
    expect(configError({ PUBLIC_URL: 'ftp://relay.example.com' })).toMatch(/^PUBLIC_URL must use http/)
    expect(configError({ PUBLIC_URL: 'https://relay.example.com/?a=1' })).toMatch(
      /^PUBLIC_URL must have no query/,
    )
    expect(configError({ MAX_CIRCUITS: '-1' })).toBe('MAX_CIRCUITS must be an integer >= 1, got -1')
    expect(configError({ MAX_CONNECTIONS_PER_IP: '1.5' })).toMatch(
      /^MAX_CONNECTIONS_PER_IP must be an integer/,
    )
  })
})

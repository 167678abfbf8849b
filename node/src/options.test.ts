import { describe, expect, it } from 'vitest'
import { parseBootstrapUrl, resolveNodeOptions } from './options.ts'

describe('node options', () => {
  it('applies defaults', () => {
    const o = resolveNodeOptions({ bootstrap: 'http://127.0.0.1:8787' }, { HOME: '/h' })
    expect(o.bootstrapUrl).toBe('http://127.0.0.1:8787/v1/bootstrap')
    expect(o.listen).toEqual(['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/webrtc'])
    expect(o.logLevel).toBe('info')
    expect(o.relay).toBe(false)
    expect(o.networkKey).toBeUndefined()
    expect(Object.isFrozen(o)).toBe(true)
  })

  it('takes the network key from the environment', () => {
    const o = resolveNodeOptions({ bootstrap: 'http://x' }, { EDGESWARM_NETWORK_KEY: 'k' })
    expect(o.networkKey).toBe('k')
    expect(
      resolveNodeOptions({ bootstrap: 'http://x', networkKey: 'f' }, { EDGESWARM_NETWORK_KEY: 'k' })
        .networkKey,
    ).toBe('f')
  })

  it('keeps an explicit /v1/bootstrap path and a base path', () => {
    expect(parseBootstrapUrl('https://e.example/v1/bootstrap')).toBe('https://e.example/v1/bootstrap')
    expect(parseBootstrapUrl('https://e.example/base/')).toBe('https://e.example/base/v1/bootstrap')
  })

  it('names the flag and value of bad input', () => {
    const bad: Array<[object, RegExp]> = [
      [{}, /--bootstrap <URL> is required/],
      [{ bootstrap: 'ftp://x' }, /--bootstrap must be an http\(s\) URL, got "ftp:\/\/x"/],
      [{ bootstrap: 'not a url' }, /--bootstrap must be an http\(s\) URL/],
      [{ bootstrap: 'http://x', listen: ['/ip4/1.2.3/tcp/1'] }, /--listen must be a multiaddr/],
      [{ bootstrap: 'http://x', listen: ['/ip4/1.2.3.4/udp/1'] }, /--listen must be a TCP or WebSocket/],
      [{ bootstrap: 'http://x', stun: ['http://s'] }, /--stun must be a URL such as stun:/],
      [{ bootstrap: 'http://x', publicCidr: ['10.0.0.0'] }, /--public-cidr must be an IPv4 CIDR/],
      [{ bootstrap: 'http://x', logLevel: 'loud' }, /--log-level must be one of error, warn, info, debug/],
    ]
    for (const [init, re] of bad) expect(() => resolveNodeOptions(init, {})).toThrow(re)
  })
})

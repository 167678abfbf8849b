import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { ReachabilityTracker } from './reachability.ts'

describe('ReachabilityTracker', () => {
  it('unknown, then behind NAT when relays see a foreign address, then public when dialled back', () => {
    const events: Array<[string, unknown]> = []
    const publics: string[] = []
    const r = new ReachabilityTracker(
      (name, fields) => events.push([name, fields]),
      (host) => publics.push(host),
    )
    expect(r.get().reachability).toBe('unknown')
    r.observed('relay0', multiaddr('/ip4/127.0.0.1/tcp/4001'))
    expect(r.get()).toMatchObject({ reachability: 'unknown', reason: expect.stringMatching(/--public-cidr/) })
    r.observed('relay1', multiaddr('/ip4/203.0.113.9/tcp/61000'))
    expect(r.get()).toMatchObject({ reachability: 'nat', reason: expect.stringMatching(/203\.0\.113\.9/) })
    r.inboundDirect(multiaddr('/ip4/10.0.0.5/tcp/5000')) // a LAN peer proves nothing
    expect(r.get().reachability).toBe('nat')
    r.inboundDirect(multiaddr('/ip4/8.8.8.8/tcp/5000'))
    expect(r.get()).toMatchObject({ reachability: 'public', host: '8.8.8.8' })
    expect(events.map(([, f]) => (f as { reachability: string }).reachability)).toEqual([
      'unknown',
      'nat',
      'public',
    ])
    expect(publics).toEqual(['8.8.8.8'])
  })
})

describe('--public-cidr hook', () => {
  it('makes @libp2p/utils treat the range as public (in a fresh Node process)', () => {
    const hook = join(import.meta.dirname, 'public-cidr.ts')
    const cidr = join(import.meta.dirname, 'cidr.ts')
    const script = `
      const { installPublicCidrHook, setPublicCidrs } = await import(${JSON.stringify(hook)})
      const { parseCidr } = await import(${JSON.stringify(cidr)})
      installPublicCidrHook()
      setPublicCidrs([parseCidr('198.51.100.0/24')])
      const u = await import('@libp2p/utils')
      const { multiaddr } = await import('@multiformats/multiaddr')
      console.log(JSON.stringify([u.isPrivateIp('198.51.100.3'), u.isPrivateIp('10.0.0.1'), u.isPrivate(multiaddr('/ip4/198.51.100.2/tcp/1'))]))
    `
    const node = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'node')
    const out = execFileSync(node, ['--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..', '..', '..'),
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).toEqual([false, true, false])
  })
})

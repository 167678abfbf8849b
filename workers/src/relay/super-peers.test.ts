import { describe, expect, it } from 'vitest'
import { ipOf, listedAddrs, MAX_SUPER_PEER_ADDRS, offersHop } from './super-peers.ts'

const P = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const R = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

describe('listedAddrs (anti-abuse: address IP must be the connection IP)', () => {
  it('lists addresses on the IP the connection comes from, with /p2p/<peerId>', () => {
    const out = listedAddrs(
      P,
      ['/ip4/203.0.113.7/tcp/4001', '/ip4/203.0.113.7/tcp/4002/ws', `/ip4/203.0.113.7/tcp/4003/p2p/${P}`],
      new Set(['203.0.113.7']),
    )
    expect(out).toEqual([
      `/ip4/203.0.113.7/tcp/4001/p2p/${P}`,
      `/ip4/203.0.113.7/tcp/4002/ws/p2p/${P}`,
      `/ip4/203.0.113.7/tcp/4003/p2p/${P}`,
    ])
  })

  it('drops addresses whose IP is not the connection IP (someone else’s host)', () => {
    expect(listedAddrs(P, ['/ip4/198.51.100.9/tcp/4001/ws'], new Set(['203.0.113.7']))).toEqual([])
    // behind NAT: private listen address, connection from the router
    expect(listedAddrs(P, ['/ip4/192.168.1.5/tcp/4001'], new Set(['203.0.113.7']))).toEqual([])
  })

  it('drops circuit, DNS, unspecified and foreign-peer addresses', () => {
    const ips = new Set(['203.0.113.7', '0.0.0.0'])
    expect(
      listedAddrs(
        P,
        [
          `/ip4/203.0.113.7/tcp/443/ws/p2p/${R}/p2p-circuit/p2p/${P}`,
          '/dns4/evil.example.com/tcp/443/wss',
          '/ip4/0.0.0.0/tcp/4001',
          `/ip4/203.0.113.7/tcp/4001/p2p/${R}`,
          'not a multiaddr',
        ],
        ips,
      ),
    ).toEqual([])
  })

  it('matches IPv6 and IPv4-mapped connection addresses', () => {
    expect(ipOf('/ip6/::ffff:203.0.113.7/tcp/0/ws')).toBe('203.0.113.7')
    expect(listedAddrs(P, ['/ip6/2001:db8::1/tcp/4001'], new Set(['2001:db8::1']))).toEqual([
      `/ip6/2001:db8::1/tcp/4001/p2p/${P}`,
    ])
  })

  it('bounds the number of addresses', () => {
    const many = Array.from({ length: 20 }, (_, i) => `/ip4/203.0.113.7/tcp/${4000 + i}`)
    expect(listedAddrs(P, many, new Set(['203.0.113.7']))).toHaveLength(MAX_SUPER_PEER_ADDRS)
  })
})

describe('offersHop', () => {
  it('looks for the circuit-relay-v2 hop protocol', () => {
    expect(offersHop(['/ipfs/id/1.0.0', '/libp2p/circuit/relay/0.2.0/hop'])).toBe(true)
    expect(offersHop(['/libp2p/circuit/relay/0.2.0/stop'])).toBe(false)
  })
})

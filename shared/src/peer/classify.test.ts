import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { classifyAddr, parsePathChoice, pathLabel } from './classify.ts'

const R = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const P = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'

describe('classifyAddr', () => {
  it('names each path', () => {
    expect(classifyAddr(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${P}`))).toEqual({ kind: 'direct-tcp' })
    expect(classifyAddr(multiaddr(`/ip4/1.2.3.4/tcp/1/ws/p2p/${P}`))).toEqual({ kind: 'direct-ws' })
    expect(classifyAddr(multiaddr(`/webrtc/p2p/${P}`))).toEqual({ kind: 'direct-webrtc' })
    expect(
      classifyAddr(multiaddr(`/ip4/127.0.0.1/tcp/8787/ws/p2p/${R}/p2p-circuit/webrtc/p2p/${P}`)),
    ).toEqual({ kind: 'direct-webrtc' })
    expect(
      classifyAddr(multiaddr(`/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1/p2p/${R}/p2p-circuit/p2p/${P}`)),
    ).toEqual({ kind: 'relayed', relay: R })
  })

  it('labels paths and parses choices', () => {
    expect(pathLabel({ path: 'relayed', shard: '0', relay: R })).toBe('relayed via shard 0')
    expect(pathLabel({ path: 'relayed', relay: R, superPeer: true })).toBe(`relayed via super-peer ${R}`)
    expect(pathLabel({ path: 'relayed', relay: R })).toBe(`relayed via peer ${R}`)
    expect(pathLabel({ path: 'direct-webrtc', verified: true })).toBe('direct-webrtc')
    expect(parsePathChoice(undefined)).toBe('any')
    expect(parsePathChoice('relayed')).toBe('relayed')
    expect(parsePathChoice('relay')).toBeUndefined()
  })
})

import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it, vi } from 'vitest'
import { answerChallenge, importNetworkKey } from '../auth.ts'
import { RelayAuthGate } from './auth-gate.ts'

async function peerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A node whose only peer answers challenges with `peerKey` over a direct connection. */
async function setup(peerKey: string, addr = '/ip4/127.0.0.1/tcp/1/ws') {
  const [self, remote] = [await peerId(), await peerId()]
  const listeners: string[] = []
  const hangUp = vi.fn(async () => {})
  const newStream = vi.fn(async () => {
    const [outbound, inbound] = await streamPair()
    void answerChallenge(inbound, { key: await importNetworkKey(peerKey), self: remote, remote: self })
    return outbound
  })
  const conn = {
    remotePeer: remote,
    remoteAddr: multiaddr(addr),
    status: 'open',
    newStream,
  } as unknown as Connection
  const node = {
    peerId: self,
    addEventListener: (name: string) => listeners.push(name),
    getConnections: () => [conn],
    hangUp,
  } as unknown as Libp2p
  return { node, remote, listeners, newStream, hangUp }
}

describe('RelayAuthGate, on-demand mode', () => {
  it('challenges nobody on connect, a peer on its first request, and caches the verdict', async () => {
    const s = await setup('secret')
    const events: unknown[] = []
    const gate = new RelayAuthGate({
      key: await importNetworkKey('secret'),
      mode: 'on-demand',
      graceMs: 10_000,
      onEvent: (e) => events.push(e),
      onError: () => {},
    })
    gate.attach(s.node)
    expect(s.listeners).not.toContain('connection:open')
    expect(s.newStream).not.toHaveBeenCalled()
    expect(await gate.isAuthorized(s.remote)).toBe(true)
    expect(await gate.isAuthorized(s.remote)).toBe(true)
    expect(s.newStream).toHaveBeenCalledTimes(1)
    expect(events).toEqual([expect.objectContaining({ event: 'auth', result: 'granted' })])
  })

  it('denies a wrong key without hanging up', async () => {
    const s = await setup('wrong')
    const gate = new RelayAuthGate({
      key: await importNetworkKey('secret'),
      mode: 'on-demand',
      graceMs: 0,
      onEvent: () => {},
      onError: () => {},
    })
    gate.attach(s.node)
    expect(await gate.isAuthorized(s.remote)).toBe(false)
    expect(s.hangUp).not.toHaveBeenCalled()
  })

  it('does not challenge over a relayed connection', async () => {
    const relay = (await peerId()).toString()
    const s = await setup('secret', `/ip4/127.0.0.1/tcp/1/ws/p2p/${relay}/p2p-circuit`)
    const gate = new RelayAuthGate({
      key: await importNetworkKey('secret'),
      mode: 'on-demand',
      graceMs: 10_000,
      onEvent: () => {},
      onError: () => {},
    })
    gate.attach(s.node)
    expect(await gate.isAuthorized(s.remote)).toBe(false)
    expect(s.newStream).not.toHaveBeenCalled()
  })
})

describe('RelayAuthGate, on-connect mode (default)', () => {
  it('listens for new connections and grants nothing to a peer never challenged', async () => {
    const s = await setup('secret')
    const gate = new RelayAuthGate({
      key: await importNetworkKey('secret'),
      graceMs: 10_000,
      onEvent: () => {},
      onError: () => {},
    })
    gate.attach(s.node)
    expect(s.listeners).toContain('connection:open')
    expect(await gate.isAuthorized(s.remote)).toBe(false)
    expect(s.newStream).not.toHaveBeenCalled()
  })
})

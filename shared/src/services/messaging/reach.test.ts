import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import type { BootstrapDocument } from '../../protocol/bootstrap.ts'
import { candidateAddrs, openByPreference, pathOf } from './reach.ts'

const newPeer = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

const conn = (id: string, addr: string, status = 'open') =>
  ({ id, status, remoteAddr: multiaddr(addr) }) as unknown as Connection

function stubNode(conns: Connection[], stored: string[] = []): Libp2p {
  return {
    getConnections: () => conns,
    peerStore: {
      get: async () => {
        if (stored.length === 0) throw new Error('not found')
        return { addresses: stored.map((a) => ({ multiaddr: multiaddr(a) })) }
      },
    },
  } as unknown as Libp2p
}

describe('reaching a peer for a direct message', async () => {
  const relay = (await newPeer()).toString()
  const peer: PeerId = await newPeer()
  const circuit = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${relay}/p2p-circuit`

  it('counts the dialling side of WebRTC (a circuit address plus /webrtc) as direct, and tries it first', () => {
    const relayed = conn('r', `${circuit}/p2p/${peer}`)
    const webrtc = conn('w', `${circuit}/webrtc/p2p/${peer}`)
    const closed = conn('c', `/ip4/127.0.0.1/tcp/5/p2p/${peer}`, 'closed')
    expect(pathOf(webrtc)).toBe('direct')
    expect(pathOf(conn('i', `/webrtc/p2p/${peer}`))).toBe('direct')
    expect(pathOf(relayed)).toBe('relayed')
    expect(openByPreference(stubNode([relayed, closed, webrtc]), peer).map((c) => c.id)).toEqual(['w', 'r'])
  })

  it('dials explicit addresses: stored, listed and a circuit through every relay, never /webrtc', async () => {
    const relay2 = (await newPeer()).toString()
    const doc = {
      relays: [
        { shard: '0', peerId: relay, addrs: [`/ip4/127.0.0.1/tcp/4001/ws/p2p/${relay}`] },
        { shard: '1', peerId: relay2, addrs: [`/ip4/127.0.0.1/tcp/4002/ws/p2p/${relay2}`] },
      ],
      superPeers: [],
      peers: [{ peerId: peer.toString(), addrs: [`${circuit}/p2p/${peer}`] }],
    } as unknown as BootstrapDocument
    const addrs = await candidateAddrs(
      stubNode([], ['/ip4/10.0.0.2/tcp/4003', `${circuit}/webrtc`]),
      peer,
      doc,
    )
    expect(addrs.map(String)).toEqual([
      `/ip4/10.0.0.2/tcp/4003/p2p/${peer}`,
      `${circuit}/p2p/${peer}`,
      `/ip4/127.0.0.1/tcp/4002/ws/p2p/${relay2}/p2p-circuit/p2p/${peer}`,
    ])
    expect(await candidateAddrs(stubNode([]), peer, undefined)).toEqual([])
  })
})

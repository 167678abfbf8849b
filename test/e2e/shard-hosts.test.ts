/**
 * Every shard usable by stock js-libp2p peers: with host-routed shards (SHARD_PORTS under wrangler dev,
 * the local stand-in for SHARD_HOST's one DNS name per shard), the bootstrap document hands out plain
 * `/ws` addresses for every shard, and a stock peer (websockets + circuitRelayTransport, nothing of
 * ours) reserves on shard 1 and receives bytes relayed through it (SHA-256 compared on arrival).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BootstrapDocument, parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { installSink, SINK_PROTOCOL, sendBytes, stopAll, waitForReservation } from '../helpers/peers.ts'
import { waitFor } from '../helpers/wait.ts'

const MiB = 1024 * 1024

/** A stock js-libp2p peer: only the libraries' own transports, encrypter, muxer and identify. */
function stockPeer(listen: string[] = []) {
  return createLibp2p({
    addresses: { listen },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // loopback relays are "private" addresses: the test allows dialling them
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify() },
  })
}

async function bootstrap(edge: Edge): Promise<BootstrapDocument> {
  const res = await fetch(`${edge.url}/v1/bootstrap`)
  expect(res.status).toBe(200)
  return parseBootstrapDocument(await res.json())
}

describe('host-routed shards (SHARD_PORTS under wrangler dev)', () => {
  let edge: Edge
  let doc: BootstrapDocument
  const peers: Libp2p[] = []

  beforeAll(async () => {
    edge = await startEdge({ vars: { RELAY_SHARDS: '3' }, shardPorts: true })
    doc = await bootstrap(edge)
  })
  afterAll(async () => {
    await stopAll(...peers)
    await edge?.stop()
  })

  it('hands out a plain /ws address per shard: shard 0 on the main port, shard n on its own', () => {
    expect(edge.shardPorts).toHaveLength(2)
    const byShard = new Map(doc.relays.map((r) => [r.shard, r]))
    expect(byShard.get('0')?.addrs).toEqual([
      `/ip4/127.0.0.1/tcp/${edge.port}/ws/p2p/${byShard.get('0')?.peerId}`,
    ])
    for (const [i, port] of edge.shardPorts.entries()) {
      const relay = byShard.get(String(i + 1))!
      expect(relay.addrs).toEqual([`/ip4/127.0.0.1/tcp/${port}/ws/p2p/${relay.peerId}`])
    }
    expect(new Set(doc.relays.map((r) => r.peerId)).size).toBe(3)
  })

  it('a stock peer reserves on shard 1 and receives 1 MiB relayed through it from another stock peer', async () => {
    const shard1 = doc.relays.find((r) => r.shard === '1')!
    const relay = shard1.addrs[0]!
    const receiver = await stockPeer([`${relay}/p2p-circuit`])
    peers.push(receiver)
    const records = await installSink(receiver)
    const [circuit] = await waitForReservation(receiver, shard1.peerId, 30_000)
    expect(circuit).toContain(`/tcp/${edge.shardPorts[0]}/ws/p2p/${shard1.peerId}/p2p-circuit`)
    // the relay that answered on shard 1's address is shard 1 (its peer ID was checked by noise)
    const relayConn = receiver.getConnections().find((c) => c.remotePeer.toString() === shard1.peerId)
    expect(relayConn?.remoteAddr.toString()).toContain(`/tcp/${edge.shardPorts[0]}/ws`)

    const sender = await stockPeer()
    peers.push(sender)
    const conn = await sender.dial(multiaddr(circuit!))
    expect(conn.remoteAddr.toString()).toContain('/p2p-circuit')
    expect(conn.limits).toBeUndefined()
    const sent = await sendBytes(await conn.newStream(SINK_PROTOCOL), MiB)
    const got = await waitFor('the stock peer on shard 1 to record the transfer', () => records[0])
    expect(got).toMatchObject({ bytes: MiB, complete: true, sha256: sent.sha256 })
    expect(sent.echoed).toBe(sent.sha256)
    // the document now lists the receiver as reserved through shard 1
    const after = await bootstrap(edge)
    expect(
      after.peers.some((p) => p.addrs.some((a) => a.includes(`/p2p/${shard1.peerId}/p2p-circuit`))),
    ).toBe(true)
  })

  it('shard n keeps answering on /relay/<n> for peers that hold an older document', async () => {
    const res = await fetch(`${edge.url}/relay/2`)
    expect(res.status).toBe(426)
  })
})

/**
 * Pub/sub on the real edge (wrangler dev): 21 peers on one topic — three home-node daemons (one with
 * `--no-webrtc`) subscribed through `edgeswarm subscribe --json` and 18 in-process relay-only peers
 * running the shared pubsub service. Every message reaches every subscriber, checked by content; a peer
 * that leaves and rejoins misses nothing sent while it was subscribed and connected; a peer flooding
 * invalid messages is graylisted while honest traffic continues; a stock js-libp2p GossipSub peer
 * receives what `edgeswarm publish` sends.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowHttpPath } from '#shared/http-path.ts'
import { gossipOptions } from '#shared/services/messaging/gossip-options.ts'
import { readBootstrap } from '#shared/services/messaging/topic-peers.ts'
import type { PubSub, PubSubMessage } from '#shared/services/messaging/types.ts'
import { type CliStream, startCliStream } from '../helpers/cli-stream.ts'
import { cliJson, LOOPBACK_LISTEN, type RunningDaemon, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { type ServicePeer, startServicePeer } from '../helpers/service-peer.ts'
import { waitFor } from '../helpers/wait.ts'

const TOPIC = 'swarm-chat'
const IN_PROCESS = 18

interface Subscriber {
  id: string
  got: () => PubSubMessage[]
}

let edge: Edge
const daemons: RunningDaemon[] = []
const streams: CliStream[] = []
const peers: ServicePeer[] = []
const keys: PrivateKey[] = []
const received = new Map<string, PubSubMessage[]>()
const extra: Libp2p[] = []

function listen(p: ServicePeer): void {
  const list = received.get(p.peerId) ?? []
  received.set(p.peerId, list)
  p.service<PubSub>('pubsub').on(TOPIC, (m) => list.push(m))
}

function subscribers(): Subscriber[] {
  return [
    ...daemons.map((d, i) => ({ id: d.peerId, got: () => streams[i]!.lines as PubSubMessage[] })),
    ...peers.map((p) => ({ id: p.peerId, got: () => received.get(p.peerId)! })),
  ]
}

/** Waits until every subscriber but the author holds a message with `body`. */
async function everyoneGets(body: string, author: string, timeoutMs = 30_000): Promise<void> {
  const missing = () => subscribers().filter((s) => s.id !== author && !s.got().some((m) => m.body === body))
  await waitFor(`"${body}" at every subscriber`, () => missing().length === 0, timeoutMs).catch(
    (err: Error) => {
      throw new Error(`${err.message}; missing at ${whoIs(missing())}`)
    },
  )
}

/** Who a subscriber is and what its pub/sub sees, for failure messages. */
function whoIs(subs: Subscriber[]): string {
  return subs
    .map((s) => {
      const p = peers.find((x) => x.peerId === s.id)
      if (p === undefined)
        return `daemon ${s.id} (${streams[daemons.findIndex((d) => d.peerId === s.id)]?.stderr().slice(-300)})`
      const view = p.service<PubSub>('pubsub').peers(TOPIC)
      return `peer ${peers.indexOf(p)} ${s.id} (${view.subscribed.length} topic peers, ${view.mesh.length} in mesh, ${p.node.getConnections().length} connections)`
    })
    .join(', ')
}

beforeAll(async () => {
  edge = await startEdge()
  // two ordinary home nodes and one relay-only (no WebRTC; its TCP port is not reachable by the
  // in-process peers, which have no TCP transport)
  const kinds = [LOOPBACK_LISTEN, LOOPBACK_LISTEN, ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-webrtc']]
  daemons.push(
    ...(await Promise.all(
      kinds.map((args) => startDaemon({ startTimeoutMs: 120_000, bootstrap: edge.url, args })),
    )),
  )
  for (const d of daemons) {
    const s = startCliStream(['subscribe', TOPIC, '--json'], d.dataDir)
    streams.push(s)
    await s.waitForStderr(`subscribed to ${TOPIC}`)
  }
  for (let i = 0; i < IN_PROCESS; i++) keys.push(await generateKeyPair('Ed25519'))
  // in batches: a busy machine makes reservations slow, serial starts would take minutes
  for (let i = 0; i < IN_PROCESS; i += 6) {
    const batch = await Promise.all(
      keys.slice(i, i + 6).map((privateKey) => startServicePeer({ edgeUrl: edge.url, privateKey })),
    )
    for (const p of batch) {
      peers.push(p)
      listen(p)
    }
  }
  // readiness: probes from a daemon until every subscriber has one (the mesh has formed)
  let n = 0
  const unprobed = () =>
    subscribers().filter(
      (s) => s.id !== daemons[0]!.peerId && !s.got().some((m) => m.body.startsWith('probe-')),
    )
  await waitFor(
    'a probe at every subscriber',
    async () => {
      await cliJson(['publish', TOPIC, `probe-${n++}`], { dataDir: daemons[0]!.dataDir })
      await new Promise((r) => setTimeout(r, 1_500))
      return unprobed().length === 0
    },
    120_000,
    0,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: missing at ${whoIs(unprobed())}`)
  })
}, 900_000)

afterAll(async () => {
  await Promise.all(streams.map((s) => s.stop()))
  await Promise.all([...peers.map((p) => p.stop()), ...extra.map((e) => e.stop())])
  await Promise.all(daemons.map((d) => d.stop()))
  await edge?.stop()
})

describe('pub/sub across home nodes and relay-only peers', () => {
  it('has at least 20 subscribers on one topic', () => {
    expect(subscribers().length).toBeGreaterThanOrEqual(20)
  })

  it('delivers every message to every subscriber, by content', async () => {
    const sent: Array<{ body: string; author: string }> = []
    for (let i = 0; i < 5; i++) {
      const body = `from peer ${i}: ${crypto.randomUUID()}`
      await peers[i]!.service<PubSub>('pubsub').publish(TOPIC, body)
      sent.push({ body, author: peers[i]!.peerId })
    }
    for (const [i, d] of daemons.entries()) {
      const body = `from daemon ${i}: ${crypto.randomUUID()}`
      const res = await cliJson<{ recipients: number }>(['publish', TOPIC, body], { dataDir: d.dataDir })
      expect(res.recipients).toBeGreaterThan(0)
      sent.push({ body, author: d.peerId })
    }
    for (const s of sent) await everyoneGets(s.body, s.author)
    // each subscriber got each message once, with the author and sequence that were signed
    for (const sub of subscribers()) {
      for (const s of sent.filter((x) => x.author !== sub.id)) {
        const copies = sub.got().filter((m) => m.body === s.body)
        expect(copies, `${sub.id} copies of "${s.body}"`).toHaveLength(1)
        expect(copies[0]!.author).toBe(s.author)
        expect(copies[0]!.topic).toBe(TOPIC)
        expect(BigInt(copies[0]!.seq)).toBeGreaterThan(0n)
      }
    }
  })

  it('a peer that leaves and rejoins misses nothing sent while it was subscribed and connected', async () => {
    const idx = 7
    const before = `before leaving ${crypto.randomUUID()}`
    await peers[0]!.service<PubSub>('pubsub').publish(TOPIC, before)
    await everyoneGets(before, peers[0]!.peerId)
    await peers[idx]!.stop()
    const away = `while away ${crypto.randomUUID()}`
    await peers[0]!.service<PubSub>('pubsub').publish(TOPIC, away)
    const back = await startServicePeer({ edgeUrl: edge.url, privateKey: keys[idx]! })
    peers[idx] = back
    listen(back)
    await waitFor(
      'rejoined peer in a mesh',
      () => back.service<PubSub>('pubsub').peers(TOPIC).mesh.length > 0,
      60_000,
    )
    const after: string[] = []
    for (let i = 0; i < 3; i++) {
      const body = `after rejoin ${i} ${crypto.randomUUID()}`
      await peers[(i + 1) % 5]!.service<PubSub>('pubsub').publish(TOPIC, body)
      after.push(body)
    }
    for (const [i, body] of after.entries()) await everyoneGets(body, peers[(i + 1) % 5]!.peerId)
    const bodies = received.get(back.peerId)!.map((m) => m.body)
    expect(bodies).toContain(before)
    for (const b of after) expect(bodies).toContain(b)
  })

  it('graylists a peer that floods invalid messages; honest traffic continues', async () => {
    const doc = await readBootstrap({ edgeUrl: edge.url })
    const spammer = await createLibp2p({
      addresses: { listen: [`${doc.relays[0]!.addrs[0]}/p2p-circuit`] },
      transports: [allowHttpPath(webSockets()), allowHttpPath(circuitRelayTransport())],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify(), pubsub: gossipsub(gossipOptions()) },
    })
    extra.push(spammer)
    const victims = peers.slice(10, 14)
    for (const v of victims) {
      const circuit = v.node.getMultiaddrs().find((a) => a.toString().includes('/p2p-circuit'))!
      await spammer.dial(circuit)
    }
    const gs = spammer.services.pubsub as GossipSub
    gs.subscribe(TOPIC)
    await waitFor(
      'spammer sees the victims in the topic',
      () => gs.getSubscribers(TOPIC).length >= victims.length,
      30_000,
    )
    // its own publishes skip its validation: garbage (not our payload) goes out signed and valid for GossipSub
    for (let i = 0; i < 60; i++) await gs.publish(TOPIC, new TextEncoder().encode(`garbage ${i}`))
    const spammerId = spammer.peerId.toString()
    await waitFor(
      'the spammer graylisted by every victim',
      () => victims.every((v) => v.service<PubSub>('pubsub').stats().graylisted.includes(spammerId)),
      30_000,
    )
    for (const v of victims) expect(v.service<PubSub>('pubsub').stats().dropped.malformed).toBeGreaterThan(0)
    // nobody delivered garbage to the application
    for (const s of subscribers()) expect(s.got().some((m) => m.body.startsWith('garbage'))).toBe(false)
    const honest = `honest after spam ${crypto.randomUUID()}`
    await peers[2]!.service<PubSub>('pubsub').publish(TOPIC, honest)
    await everyoneGets(honest, peers[2]!.peerId)
  })

  it('a stock js-libp2p GossipSub peer receives what `edgeswarm publish` sends', async () => {
    const doc = await readBootstrap({ edgeUrl: edge.url })
    const stock = await createLibp2p({
      transports: [webSockets(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify(), pubsub: gossipsub({ runOnLimitedConnection: true }) },
    })
    extra.push(stock)
    const got: string[] = []
    const gs = stock.services.pubsub
    gs.addEventListener('message', (e) => {
      if (e.detail.topic === TOPIC) got.push(new TextDecoder().decode(e.detail.data))
    })
    gs.subscribe(TOPIC)
    // shard 0 has a plain address; reach the daemon through it like any libp2p peer would
    await stock.dial(multiaddr(`${doc.relays[0]!.addrs[0]}/p2p-circuit/p2p/${daemons[0]!.peerId}`))
    await waitFor(
      'the daemon sees the stock peer in the topic',
      async () => {
        const stats = await cliJson<{ topics: Array<{ topic: string; subscribed: string[] }> }>(['topics'], {
          dataDir: daemons[0]!.dataDir,
        }).catch(() => undefined)
        return stats?.topics.find((t) => t.topic === TOPIC)?.subscribed.includes(stock.peerId.toString())
      },
      30_000,
    )
    const body = `interop ${crypto.randomUUID()}`
    await cliJson(['publish', TOPIC, body], { dataDir: daemons[0]!.dataDir })
    await waitFor('the stock peer gets it', () => got.some((g) => g.includes(body)), 30_000)
    const payload = JSON.parse(got.find((g) => g.includes(body))!) as { v: number; body: string }
    expect(payload).toMatchObject({ v: 1, body })
  })
})

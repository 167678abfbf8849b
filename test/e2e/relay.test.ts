/**
 * Relay shards end to end: the real worker under `wrangler dev` (workerd), Node peers over WebSockets.
 * Asserts on data that crossed the relay (SHA-256 compared on arrival) and on the shard's stats.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { AuthStatus } from '#shared/auth.ts'
import { parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { REFUSAL_REASONS, type ShardStats } from '../../workers/src/objects/shard-contract.ts'
import { deriveShardKey } from '../../workers/src/relay/identity.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import {
  createPeer,
  installSink,
  SINK_PROTOCOL,
  sendBytes,
  stopAll,
  type TestPeer,
  waitForReservation,
} from '../helpers/peers.ts'
import { waitFor } from '../helpers/wait.ts'

const MiB = 1024 * 1024

/**
 * A shard's view through the Worker's public API only: relay addresses and the peer sample from
 * `/v1/bootstrap`, counters from `/metrics` (docs/OPERATIONS.md).
 */
async function shardStats(edge: Edge, shard: string, bearer?: string): Promise<ShardStats> {
  const headers: Record<string, string> = bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }
  const [docRes, metricsRes] = await Promise.all([
    fetch(`${edge.url}/v1/bootstrap?peers=64`, { headers }),
    fetch(`${edge.url}/metrics`, { headers }),
  ])
  if (!docRes.ok || !metricsRes.ok)
    throw new Error(`bootstrap/metrics: HTTP ${docRes.status}/${metricsRes.status}`)
  const doc = parseBootstrapDocument(await docRes.json())
  const relay = doc.relays.find((r) => r.shard === shard)
  if (relay === undefined) throw new Error(`no shard ${shard} in the bootstrap document`)
  const metric = (name: string, reason?: string): number => {
    const labels = reason === undefined ? `{shard="${shard}"}` : `{shard="${shard}",reason="${reason}"}`
    const line = metricsText.split('\n').find((l) => l.startsWith(`${name}${labels} `))
    return line === undefined ? 0 : Number(line.split(' ').pop())
  }
  const metricsText = await metricsRes.text()
  const refusals: ShardStats['refusals'] = {}
  for (const reason of REFUSAL_REASONS) refusals[reason] = metric('edgeswarm_relay_refusals_total', reason)
  return {
    shard,
    peerId: relay.peerId,
    addrs: relay.addrs,
    connections: metric('edgeswarm_relay_connections'),
    reservations: metric('edgeswarm_relay_reservations'),
    circuits: metric('edgeswarm_relay_circuits'),
    circuitsTotal: metric('edgeswarm_relay_circuits_total'),
    bytesRelayed: metric('edgeswarm_relay_bytes_total'),
    refusals,
    // peers reserved on this shard: their circuit addresses go through its peer ID
    peers: doc.peers.filter((p) => p.addrs.some((a) => a.includes(`/p2p/${relay.peerId}/p2p-circuit`))),
    // the document does not say which shard saw a super-peer
    superPeers: doc.superPeers,
    uptimeSeconds: metric('edgeswarm_relay_uptime_seconds'),
  }
}

async function waitForReservations(edge: Edge, n: number): Promise<void> {
  await waitFor(
    `shard 0 to hold ${n} reservations`,
    async () => (await shardStats(edge, '0')).reservations === n,
  )
}

/** Pair of peers reserved on `relayAddr`; `b` runs the sink. */
async function reservedPair(relayAddr: string, relayId: string, networkKey?: string) {
  const opts = { relays: [relayAddr], ...(networkKey === undefined ? {} : { networkKey }) }
  const a = await createPeer(opts)
  const b = await createPeer(opts)
  const records = await installSink(b)
  const [circuitB] = await waitForReservation(b, relayId)
  await waitForReservation(a, relayId)
  return { a, b, records, circuitB: circuitB! }
}

describe('relay shard (open network)', () => {
  let edge: Edge
  let stats0: ShardStats
  const peers: Libp2p[] = []

  beforeAll(async () => {
    edge = await startEdge()
    stats0 = await shardStats(edge, '0')
  })

  afterAll(async () => {
    await stopAll(...peers)
    await edge?.stop()
  })

  it('announces a stable /ws address for shard 0 and /http-path for shard 1', async () => {
    expect(stats0.addrs).toEqual([`/ip4/127.0.0.1/tcp/${edge.port}/ws/p2p/${stats0.peerId}`])
    const stats1 = await shardStats(edge, '1')
    expect(stats1.peerId).not.toBe(stats0.peerId)
    expect(stats1.addrs).toEqual([
      `/ip4/127.0.0.1/tcp/${edge.port}/ws/http-path/relay%2F1/p2p/${stats1.peerId}`,
    ])
    expect((await shardStats(edge, '0')).peerId).toBe(stats0.peerId)
  })

  it('(a) relays 16 MiB between two reserved peers on an unlimited circuit, hash intact', async () => {
    const { a, b, records, circuitB } = await reservedPair(stats0.addrs[0]!, stats0.peerId)
    peers.push(a, b)
    const conn = await a.dial(multiaddr(circuitB))
    expect(conn.remoteAddr.toString()).toContain('/p2p-circuit')
    expect(conn.limits).toBeUndefined()
    // no runOnLimitedConnection: the stream opens only because the circuit is not limited
    const sent = await sendBytes(await conn.newStream(SINK_PROTOCOL), 16 * MiB)
    const got = await waitFor('the sink to record the transfer', () => records[0])
    expect(got).toMatchObject({ bytes: 16 * MiB, complete: true, limited: false, sha256: sent.sha256 })
    expect(got.remoteAddr).toContain('/p2p-circuit')
    expect(sent.echoed).toBe(sent.sha256)
    console.log(
      `16 MiB relayed through shard 0 in ${sent.ms} ms: ${(16 / (sent.ms / 1000)).toFixed(1)} MiB/s`,
    )
    const stats = await shardStats(edge, '0')
    expect(stats.circuitsTotal).toBeGreaterThanOrEqual(1)
    expect(stats.bytesRelayed).toBeGreaterThanOrEqual(16 * MiB)
  })

  it('(a) relays through shard 1 addressed with /http-path', async () => {
    const stats1 = await shardStats(edge, '1')
    const { a, b, records, circuitB } = await reservedPair(stats1.addrs[0]!, stats1.peerId)
    peers.push(a, b)
    const conn = await a.dial(multiaddr(circuitB))
    expect(conn.limits).toBeUndefined()
    const sent = await sendBytes(await conn.newStream(SINK_PROTOCOL), 2 * MiB)
    const got = await waitFor('the sink to record the transfer', () => records[0])
    expect(got).toMatchObject({ bytes: 2 * MiB, complete: true, sha256: sent.sha256 })
  })

  it('(b) a stock js-libp2p peer (no edgeswarm code) reserves on the default shard and exchanges data', async () => {
    const relay = stats0.addrs[0]!
    const stock = await createLibp2p({
      addresses: { listen: [`${relay}/p2p-circuit`] },
      transports: [webSockets(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify() },
    })
    peers.push(stock)
    const records = await installSink(stock)
    const [circuit] = await waitForReservation(stock, stats0.peerId)
    const a = await createPeer({ relays: [relay] })
    peers.push(a)
    const conn = await a.dial(multiaddr(circuit!))
    expect(conn.limits).toBeUndefined()
    const sent = await sendBytes(await conn.newStream(SINK_PROTOCOL), MiB)
    const got = await waitFor('the stock peer to record the transfer', () => records[0])
    expect(got).toMatchObject({ bytes: MiB, complete: true, sha256: sent.sha256 })
    expect(sent.echoed).toBe(sent.sha256)
  })

  it('(e) garbage on a raw WebSocket closes that socket only; a circuit keeps working', async () => {
    const { a, b, records, circuitB } = await reservedPair(stats0.addrs[0]!, stats0.peerId)
    peers.push(a, b)
    const conn = await a.dial(multiaddr(circuitB))
    const stream = await conn.newStream(SINK_PROTOCOL)
    const raw = new WebSocket(`ws://127.0.0.1:${edge.port}/`, { perMessageDeflate: false })
    await new Promise((resolve, reject) => {
      raw.once('open', resolve)
      raw.once('error', reject)
    })
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)))
    raw.send(Buffer.from('GET / HTTP/1.1\r\n\r\n garbage that is not multistream-select'))
    raw.send(crypto.getRandomValues(new Uint8Array(4096)))
    await expect(
      Promise.race([closed, new Promise((r) => setTimeout(() => r('open'), 15_000))]),
    ).resolves.not.toBe('open')
    const sent = await sendBytes(stream, 4 * MiB)
    const got = await waitFor('the sink to record the transfer', () => records[0])
    expect(got).toMatchObject({ bytes: 4 * MiB, complete: true, sha256: sent.sha256 })
    expect((await shardStats(edge, '0')).refusals.malformed).toBeGreaterThanOrEqual(1)
  })

  it('(f) a peer that disconnects frees its reservation at once', async () => {
    const relay = stats0.addrs[0]!
    const c = await createPeer({ relays: [relay] })
    await waitForReservation(c, stats0.peerId)
    const id = c.peerId.toString()
    const before = await shardStats(edge, '0')
    expect(before.peers.map((p) => p.peerId)).toContain(id)
    const entry = before.peers.find((p) => p.peerId === id)!
    expect(entry.addrs).toContain(`${relay}/p2p-circuit/p2p/${id}`)
    await c.stop()
    const after = await waitFor('the shard to free the reservation', async () => {
      const s = await shardStats(edge, '0')
      return s.peers.some((p) => p.peerId === id) ? undefined : s
    })
    expect(after.reservations).toBeLessThan(before.reservations)
  })
})

describe('relay shard quotas', () => {
  let edge: Edge
  const peers: Libp2p[] = []

  beforeAll(async () => {
    edge = await startEdge({
      vars: {
        MAX_CIRCUIT_BYTES: String(MiB),
        MAX_CIRCUITS: '1',
        MAX_CIRCUIT_DURATION_SECONDS: '3',
        MAX_RESERVATIONS: '2',
        MAX_CONNECTIONS_PER_IP: '6',
      },
    })
  })

  afterEach(async () => {
    // each test starts with no reservations (MAX_RESERVATIONS is 2)
    await stopAll(...peers.splice(0))
    await waitForReservations(edge, 0)
  })

  afterAll(async () => {
    await edge?.stop()
  })

  it('answers 429 JSON past MAX_CONNECTIONS_PER_IP', async () => {
    const sockets: WebSocket[] = []
    try {
      let refusal: { status: number; body: string } | undefined
      for (let i = 0; i < 8 && refusal === undefined; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${edge.port}/`, { perMessageDeflate: false })
        sockets.push(ws)
        refusal = await new Promise((resolve, reject) => {
          ws.once('open', () => resolve(undefined))
          ws.once('unexpected-response', (_req, res) => {
            let body = ''
            res.on('data', (d: Buffer) => {
              body += d.toString()
            })
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          })
          ws.once('error', reject)
        })
      }
      // first test on a fresh shard: 6 sockets open, the 7th is refused
      expect(sockets.length).toBe(7)
      expect(refusal?.status).toBe(429)
      expect(JSON.parse(refusal?.body ?? '{}')).toEqual({ error: 'connections_per_ip' })
      expect((await shardStats(edge, '0')).refusals.connections_per_ip).toBeGreaterThanOrEqual(1)
    } finally {
      for (const ws of sockets) ws.terminate()
    }
  })
  it('(c) cuts a circuit that moves more than MAX_CIRCUIT_BYTES and counts it', async () => {
    const stats = await shardStats(edge, '0')
    const { a, b, records, circuitB } = await reservedPair(stats.addrs[0]!, stats.peerId)
    peers.push(a, b)
    const conn = await a.dial(multiaddr(circuitB))
    expect(conn.limits).toBeUndefined()
    const outcome = await sendBytes(await conn.newStream(SINK_PROTOCOL), 4 * MiB).catch((err: Error) => err)
    // the sender either fails or finishes writing into its buffers, but never gets the receiver's digest
    if (!(outcome instanceof Error)) expect(outcome.echoed).toBeUndefined()
    const got = await waitFor('the sink to record the cut stream', () => records[0])
    // the relay cut the circuit before forwarding the chunk that would pass 1 MiB
    expect(got.bytes).toBeLessThanOrEqual(MiB)
    expect(got.bytes).toBeGreaterThan(0)
    const after = await waitFor('the cut to be counted', async () => {
      const s = await shardStats(edge, '0')
      return (s.refusals.circuit_bytes ?? 0) >= 1 ? s : undefined
    })
    expect(after.circuits).toBe(0)
    // the counters saw at most the quota cross (hop/stop handshakes are not metered)
    expect(after.bytesRelayed).toBeLessThanOrEqual(MiB)
  })

  it('refuses a circuit past MAX_CIRCUITS and cuts one past MAX_CIRCUIT_DURATION_SECONDS', async () => {
    const stats = await shardStats(edge, '0')
    const relay = stats.addrs[0]!
    // b and d hold the two reservations; a only dials
    const b = await createPeer({ relays: [relay] })
    const d = await createPeer({ relays: [relay] })
    const a = await createPeer()
    peers.push(a, b, d)
    const records = await installSink(b)
    const [circuitB] = await waitForReservation(b, stats.peerId)
    const [circuitD] = await waitForReservation(d, stats.peerId)
    // taken before the dial: the shard starts the circuit's clock during it
    const opened = Date.now()
    const held = await a.dial(multiaddr(circuitB!))
    // the only circuit is taken: the relay answers RESOURCE_LIMIT_EXCEEDED
    await expect(a.dial(multiaddr(circuitD!), { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    const refused = await shardStats(edge, '0')
    expect(refused.refusals.circuit_limit).toBeGreaterThanOrEqual(1)
    // the held circuit carries data, then is cut at its 3 s lifetime
    const sent = await sendBytes(await held.newStream(SINK_PROTOCOL), 64 * 1024)
    expect((await waitFor('the sink record', () => records[0])).sha256).toBe(sent.sha256)
    await waitFor('the shard to cut the circuit on duration', () => held.status !== 'open', 15_000)
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2_500)
    const cut = await shardStats(edge, '0')
    expect(cut.refusals.circuit_duration).toBeGreaterThanOrEqual(1)
    expect(cut.circuits).toBe(0)
  })

  it('refuses a reservation past MAX_RESERVATIONS', async () => {
    const relay = (await shardStats(edge, '0')).addrs[0]!
    const { a, b } = await reservedPair(relay, (await shardStats(edge, '0')).peerId)
    peers.push(a, b)
    await expect(createPeer({ relays: [relay] })).rejects.toThrow()
    const s = await shardStats(edge, '0')
    expect(s.reservations).toBe(2)
    expect(s.refusals.reservation_limit).toBeGreaterThanOrEqual(1)
  })
})

describe('relay shard (private network)', () => {
  const KEY = 'test-network-key-0123456789'
  const SECRET = 'test-identity-secret'
  let edge: Edge
  const peers: TestPeer[] = []

  beforeAll(async () => {
    edge = await startEdge({
      vars: { NETWORK_KEY: KEY, AUTH_GRACE_SECONDS: '3', RELAY_IDENTITY_SECRET: SECRET },
    })
  })

  afterAll(async () => {
    await stopAll(...peers)
    await edge?.stop()
  })

  it('(d) refuses a reservation without the credential and grants it with', async () => {
    const stats = await shardStats(edge, '0', KEY)
    const relay = stats.addrs[0]!
    // listening on a circuit address needs the reservation: refused (PERMISSION_DENIED) -> start fails
    await expect(createPeer({ relays: [relay] })).rejects.toThrow()
    await expect(createPeer({ relays: [relay], networkKey: 'wrong-key' })).rejects.toThrow()
    const refused = await shardStats(edge, '0', KEY)
    expect(refused.refusals.unauthorized ?? 0).toBeGreaterThanOrEqual(2)
    expect(refused.reservations).toBe(0)

    const insider = await createPeer({ relays: [relay], networkKey: KEY })
    peers.push(insider)
    await waitForReservation(insider, stats.peerId)
    expect(insider.services.auth?.results.get(stats.peerId)).toBe(AuthStatus.OK)
    const granted = await shardStats(edge, '0', KEY)
    expect(granted.peers.map((p) => p.peerId)).toContain(insider.peerId.toString())
  })

  it('derives each shard peer ID from RELAY_IDENTITY_SECRET (HKDF, stable across deployments)', async () => {
    for (const shard of ['0', '1']) {
      const expected = peerIdFromPrivateKey(await deriveShardKey(SECRET, shard)).toString()
      expect((await shardStats(edge, shard, KEY)).peerId).toBe(expected)
    }
  })

  it('(d) closes a connected peer that does not authenticate within AUTH_GRACE_SECONDS', async () => {
    const stats = await shardStats(edge, '0', KEY)
    const outsider = await createPeer()
    peers.push(outsider)
    const conn = await outsider.dial(multiaddr(stats.addrs[0]!))
    await waitFor('the shard to close the unauthenticated connection', () => conn.status === 'closed', 15_000)
  })
})

describe('relay shard capacity', () => {
  let edge: Edge
  const peers: Libp2p[] = []

  beforeAll(async () => {
    // every test peer comes from 127.0.0.1
    edge = await startEdge({ vars: { MAX_CONNECTIONS_PER_IP: '1000' } })
  })

  afterAll(async () => {
    await stopAll(...peers)
    await edge?.stop()
  })

  it('holds 150 reservations, past the ~100 connections of js-libp2p browser-build defaults', async () => {
    const stats = await shardStats(edge, '0')
    const relay = stats.addrs[0]!
    for (let batch = 0; batch < 15; batch++) {
      const created = await Promise.all(Array.from({ length: 10 }, () => createPeer({ relays: [relay] })))
      peers.push(...created)
    }
    const s = await shardStats(edge, '0')
    expect(s.connections).toBeGreaterThanOrEqual(150)
    expect(s.reservations).toBe(150)
    expect(Object.values(s.refusals).reduce((a, b) => a + (b ?? 0), 0)).toBe(0)
    // the last peer is still reachable through the shard
    const last = peers.at(-1)! as TestPeer
    const records = await installSink(last)
    const [circuit] = await waitForReservation(last, stats.peerId)
    const conn = await (peers[0] as TestPeer).dial(multiaddr(circuit!))
    const sent = await sendBytes(await conn.newStream(SINK_PROTOCOL), 256 * 1024)
    expect((await waitFor('the sink record', () => records[0])).sha256).toBe(sent.sha256)
  })
})

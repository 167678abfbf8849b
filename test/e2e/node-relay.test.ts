/**
 * Home node resilience and super-peer mode, against a stand-in edge of plain js-libp2p relays (so a
 * test can stop one shard): losing a shard keeps the node reachable through the other, and `--relay`
 * with proven (here: `--public-cidr 127.0.0.0/8`) public reachability serves circuit-relay-v2 hop.
 * The last suite runs the real edge (wrangler dev): the bootstrap API lists such a super-peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BootstrapDocument, parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import {
  cliJson,
  type LocalEdge,
  type RunningDaemon,
  runCli,
  startDaemon,
  startLocalEdge,
} from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import {
  createPeer,
  installSink,
  SINK_PROTOCOL,
  sendBytes,
  stopAll,
  waitForReservation,
} from '../helpers/peers.ts'
import { waitFor } from '../helpers/wait.ts'

describe('home node: a relay shard drops', () => {
  let edge: LocalEdge
  const daemons: RunningDaemon[] = []

  beforeAll(async () => {
    edge = await startLocalEdge(2)
  })
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()))
    await edge?.stop()
  })

  it('stays reachable through the other shard and reports the loss', async () => {
    const a = await startDaemon({ bootstrap: edge.url })
    daemons.push(a)
    await a.waitForEvent('reservation.made', (e) => e.shard === '0')
    await a.waitForEvent('reservation.made', (e) => e.shard === '1')
    await edge.stopRelay(0)
    const lost = await a.waitForEvent('reservation.lost', (e) => e.shard === '0', 10_000)
    expect(lost.relay).toBe(edge.relays[0]!.peerId.toString())
    await a.waitForEvent('reservation.retry', (e) => e.shard === '0')
    const status = await cliJson<{ reservations: Array<{ shard: string }> }>(['status'], {
      dataDir: a.dataDir,
    })
    expect(status.reservations.map((r) => r.shard)).toEqual(['1'])
    // a newcomer finds a by peer ID: only the circuit through shard 1 works
    const c = await startDaemon({
      bootstrap: edge.url,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-webrtc'],
    })
    daemons.push(c)
    const ping = await cliJson<{ path: string; label: string }>(['ping', a.peerId], { dataDir: c.dataDir })
    expect(ping.label).toBe('relayed via shard 1')
  })
})

describe('home node: the edge replaces a relay', () => {
  let edge: LocalEdge
  let a: RunningDaemon | undefined

  beforeAll(async () => {
    edge = await startLocalEdge(2)
  })
  afterAll(async () => {
    await a?.stop()
    await edge?.stop()
  })

  it('re-reads the bootstrap document and reserves on the new relay', async () => {
    a = await startDaemon({ bootstrap: edge.url, args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-webrtc'] })
    await a.waitForEvent('reservation.made', (e) => e.shard === '0')
    const fresh = await edge.replaceRelay(0)
    const made = await a.waitForEvent(
      'reservation.made',
      (e) => e.shard === '0' && e.relay === fresh.peerId.toString(),
      30_000,
    )
    expect(made.relay).toBe(fresh.peerId.toString())
    expect(a.events.some((e) => e.event === 'bootstrap.loaded' && e.refresh === true)).toBe(true)
  })
})

describe('home node: --relay super-peer', () => {
  let edge: LocalEdge
  let relay: RunningDaemon
  const peers: Array<Awaited<ReturnType<typeof createPeer>>> = []

  beforeAll(async () => {
    edge = await startLocalEdge(1)
    relay = await startDaemon({
      bootstrap: edge.url,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0/ws', '--relay', '--public-cidr', '127.0.0.0/8', '--no-webrtc'],
    })
  })
  afterAll(async () => {
    await stopAll(...peers)
    await relay?.stop()
    await edge?.stop()
  })

  it('offers hop once publicly reachable, and carries a circuit', async () => {
    const reach = await relay.waitForEvent('reachability', (e) => e.reachability === 'public')
    expect(String(reach.reason)).toMatch(/own public address 127\.0\.0\.1/)
    await relay.waitForEvent('relay.enabled')
    const status = await cliJson<{ addrs: string[] }>(['status'], { dataDir: relay.dataDir })
    const wsAddr = status.addrs.find((a) => a.includes('/ws/') && !a.includes('p2p-circuit'))!
    expect(wsAddr).toBeDefined()
    // stock js-libp2p peers: one reserves on the home node, the other dials through it
    const listener = await createPeer({ relays: [wsAddr] })
    const dialer = await createPeer()
    peers.push(listener, dialer)
    const [circuit] = await waitForReservation(listener, relay.peerId)
    const records = await installSink(listener)
    const stream = await dialer.dialProtocol(
      (await import('@multiformats/multiaddr')).multiaddr(circuit!),
      SINK_PROTOCOL,
    )
    const sent = await sendBytes(stream, 2 * 1024 * 1024)
    expect(sent.echoed).toBe(sent.sha256)
    expect(records[0]?.remoteAddr).toContain(`/p2p/${relay.peerId}/p2p-circuit`)
    expect(records[0]?.limited).toBe(false)
    const after = await cliJson<{
      relay: { reservations: number; circuitsTotal: number; bytesRelayed: number }
    }>(['status'], { dataDir: relay.dataDir })
    expect(after.relay.reservations).toBe(1)
    expect(after.relay.circuitsTotal).toBeGreaterThanOrEqual(1)
    expect(after.relay.bytesRelayed).toBeGreaterThanOrEqual(2 * 1024 * 1024)
  })
})

async function bootstrapOf(edge: Edge): Promise<BootstrapDocument> {
  const res = await fetch(`${edge.url}/v1/bootstrap?peers=64`)
  if (!res.ok) throw new Error(`bootstrap: HTTP ${res.status}`)
  return parseBootstrapDocument(await res.json())
}

describe('real edge: the bootstrap API lists home super-peers', () => {
  let edge: Edge
  const daemons: RunningDaemon[] = []
  const loopbackWs = ['--listen', '/ip4/127.0.0.1/tcp/0/ws', '--no-webrtc', '--public-cidr', '127.0.0.0/8']

  let superPeer: RunningDaemon

  beforeAll(async () => {
    // one shard with room for two reservations (the super-peer's and the plain node's): the node that
    // joins later can be reached only through the super-peer
    edge = await startEdge({ vars: { RELAY_SHARDS: '1', MAX_RESERVATIONS: '2' } })
  })
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()))
    await edge?.stop()
  })

  it('lists a public --relay node with its own address, not a plain or unproven node', async () => {
    superPeer = await startDaemon({ bootstrap: edge.url, args: [...loopbackWs, '--relay'] })
    daemons.push(superPeer)
    const plain = await startDaemon({ bootstrap: edge.url, args: loopbackWs })
    daemons.push(plain)
    await superPeer.waitForEvent('relay.enabled')
    await superPeer.waitForEvent('reservation.made', (e) => e.shard === '0')
    await plain.waitForEvent('reservation.made', (e) => e.shard === '0')
    // --relay without proven public reachability (loopback is private without --public-cidr): no hop
    const unproven = await startDaemon({
      bootstrap: edge.url,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0/ws', '--no-webrtc', '--relay'],
    })
    daemons.push(unproven)
    await unproven.waitForEvent('relay.hop', (e) => e.advertised === false)
    await unproven.waitForEvent('reservation.retry', (e) => e.shard === '0')
    const doc = await waitFor(
      `super-peer ${superPeer.peerId} in /v1/bootstrap superPeers`,
      async () => {
        const d = await bootstrapOf(edge)
        return d.superPeers.some((p) => p.peerId === superPeer.peerId) && d
      },
      30_000,
      250,
    )
    const listed = doc.superPeers.find((p) => p.peerId === superPeer.peerId)!
    expect(listed.addrs.length).toBeGreaterThan(0)
    for (const a of listed.addrs) {
      expect(a).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/[0-9]+\/ws\/p2p\//)
      expect(a.endsWith(`/p2p/${superPeer.peerId}`)).toBe(true)
      expect(a).not.toContain('p2p-circuit')
    }
    // the plain node holds a reservation on the shard (it is a listed peer) but offers no hop
    expect(doc.peers.some((p) => p.peerId === plain.peerId)).toBe(true)
    // neither the plain node nor the unproven --relay node is listed
    expect(doc.superPeers.map((p) => p.peerId)).toEqual([superPeer.peerId])
  })

  it('another node reserves on the super-peer and a third reaches it through that circuit', async () => {
    const b = await startDaemon({ bootstrap: edge.url, args: loopbackWs })
    daemons.push(b)
    const made = await b.waitForEvent('reservation.made', (e) => e.kind === 'super-peer')
    expect(made.relay).toBe(superPeer.peerId)
    // the shard is full: b holds no shard reservation, so the only way in is the super-peer
    await b.waitForEvent('reservation.retry', (e) => e.shard === '0')
    const status = await cliJson<{ reservations: Array<{ kind: string; shard?: string; relay: string }> }>(
      ['status'],
      { dataDir: b.dataDir },
    )
    expect(status.reservations).toContainEqual(
      expect.objectContaining({ kind: 'super-peer', relay: superPeer.peerId }),
    )
    const text = await runCli(['status'], { dataDir: b.dataDir })
    expect(text.stdout).toContain(`super-peer ${superPeer.peerId}`)

    const c = await startDaemon({ bootstrap: edge.url, args: loopbackWs })
    daemons.push(c)
    const sent = await cliJson<{
      match: boolean
      sha256: string
      remoteSha256: string
      label: string
      remoteAddr: string
    }>(['send', b.peerId, '--bytes', '1048576', '--path', 'relayed'], { dataDir: c.dataDir })
    expect(sent.match).toBe(true)
    expect(sent.remoteSha256).toBe(sent.sha256)
    expect(sent.remoteAddr).toContain(`/p2p/${superPeer.peerId}/p2p-circuit`)
    expect(sent.label).toBe(`relayed via super-peer ${superPeer.peerId}`)
    const received = await b.waitForEvent('transfer.received', (e) => e.sha256 === sent.sha256)
    expect(received.bytes).toBe(1048576)
  })
})

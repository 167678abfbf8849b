import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it, vi } from 'vitest'
import { PathManager } from './path-manager.ts'
import type { EventFields } from './service.ts'

const R = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const P = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const peer = peerIdFromString(P)

function conn(addr: string, id: string): Connection {
  return {
    id,
    remotePeer: peer,
    remoteAddr: multiaddr(addr),
    status: 'open',
    direction: 'outbound',
    timeline: { open: Date.now() },
    abort: vi.fn(function (this: { status: string }) {
      this.status = 'closed'
    }),
  } as unknown as Connection
}

function setup(
  conns: Connection[],
  alive: Set<string>,
  dialed?: Connection,
  answererGraceMs?: number,
  rttMs = 3,
) {
  const events: Array<{ name: string; fields: EventFields }> = []
  const node = {
    peerId: peerIdFromString(R),
    getConnections: (p?: PeerId) => conns.filter((c) => p === undefined || c.remotePeer.equals(p)),
    addEventListener: () => {},
    dial: vi.fn(async () => {
      if (dialed === undefined) throw new Error('unreachable')
      conns.push(dialed)
      return dialed
    }),
    peerStore: { get: async () => ({ addresses: [] }) },
  } as unknown as Libp2p & { dial: ReturnType<typeof vi.fn> }
  // WebRTC upgrades dial through the transport manager (libp2p-compat/components.ts)
  Object.assign(node, { components: { transportManager: { getListeners: () => [], dial: node.dial } } })
  const paths = new PathManager({
    node,
    events: (name, fields) => events.push({ name, fields: fields as EventFields }),
    webrtc: true,
    verifyTimeoutMs: 50,
    upgradeTimeoutMs: 100,
    ...(answererGraceMs === undefined ? {} : { answererGraceMs }),
    pingIntervalMs: 60_000,
    shardOf: (id) => (id === R ? '1' : undefined),
    isRelayPeer: () => false,
    isPublicAddr: () => true,
    circuitAddrsFor: (p) => [multiaddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${R}/p2p-circuit/p2p/${p}`)],
    probe: async (c) => {
      if (alive.has(c.id)) return rttMs
      throw new Error('no echo')
    },
  })
  return { paths, events, node }
}

const RELAYED = `/ip4/127.0.0.1/tcp/1/ws/p2p/${R}/p2p-circuit/p2p/${P}`

describe('PathManager', () => {
  it('counts a direct connection only after traffic crossed it', async () => {
    const relayed = conn(RELAYED, 'r')
    const direct = conn(`/webrtc/p2p/${P}`, 'w')
    const { paths, events } = setup([relayed, direct], new Set(['r', 'w']))
    expect(paths.best(peer)).toBe(relayed)
    expect(await paths.verify(direct)).toBe(true)
    expect(paths.best(peer)).toBe(direct)
    expect(events).toEqual([
      { name: 'path.direct', fields: expect.objectContaining({ peer: P, path: 'direct-webrtc', rttMs: 3 }) },
    ])
  })

  it("an answerer whose peer's WebRTC attempt arrived dead tries itself at once, not after its grace", async () => {
    // our ID (R) sorts after the peer's (P): we answer, and wait up to the grace for the peer's attempt
    const relayed = conn(RELAYED, 'r')
    const mine = conn(`${RELAYED.replace(`/p2p/${P}`, '')}/webrtc/p2p/${P}`, 'mine')
    const { paths, node } = setup([relayed], new Set(['r', 'mine']), mine, 60_000)
    const started = Date.now()
    const upgrading = paths.upgrade(peer)
    await new Promise((r) => setTimeout(r, 20))
    expect(node.dial).not.toHaveBeenCalled()
    // the peer's attempt: a /webrtc connection that never echoes
    expect(await paths.verify(conn(`/webrtc/p2p/${P}`, 'theirs'))).toBe(false)
    await upgrading
    expect(node.dial).toHaveBeenCalled()
    expect(paths.best(peer)).toBe(mine)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('closes a dead direct connection and stays on the relay', async () => {
    const relayed = conn(RELAYED, 'r')
    const dead = conn(`/webrtc/p2p/${P}`, 'w')
    const { paths, events } = setup([relayed, dead], new Set(['r']))
    expect(await paths.verify(dead)).toBe(false)
    expect(dead.abort).toHaveBeenCalled()
    expect(paths.best(peer)).toBe(relayed)
    expect(events[0]).toEqual({
      name: 'path.relay-fallback',
      fields: expect.objectContaining({
        peer: P,
        relayed: true,
        shard: '1',
        reason: expect.stringMatching(/direct-webrtc connection carried no traffic/),
      }),
    })
  })

  it('re-dials the relay when the dead direct connection was the only one', async () => {
    const dead = conn(`/ip4/198.51.100.7/tcp/4001/p2p/${P}`, 't')
    const relayed = conn(RELAYED, 'r')
    const { paths, events, node } = setup([dead], new Set(['r']), relayed)
    expect(await paths.verify(dead)).toBe(false)
    expect(node.dial).toHaveBeenCalledWith([multiaddr(RELAYED)], expect.anything())
    expect(events[0]?.fields).toMatchObject({ relayed: true, shard: '1' })
    expect(paths.best(peer)).toBe(relayed)
  })

  it('waits for a relayed stream a few measured round trips, within a floor and a cap', async () => {
    const cases: Array<[rtt: number, want: number]> = [
      [3, 300], // a fast circuit: the floor
      [60, 480], // 8 round trips
      [400, 1_000], // a slow one: the cap
    ]
    for (const [rtt, want] of cases) {
      const relayed = conn(RELAYED, 'r')
      const { paths } = setup([relayed], new Set(['r']), undefined, undefined, rtt)
      expect(paths.relayedOpenTimeoutMs(relayed), 'never pinged: the cap').toBe(1_000)
      expect(await paths.measure(relayed)).toBe(true)
      expect(paths.relayedOpenTimeoutMs(relayed), `after a ${rtt} ms ping`).toBe(want)
    }
  })
})

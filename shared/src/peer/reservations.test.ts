import type { Libp2p, PeerId, Transport } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ReservationKeeper } from './reservations.ts'
import type { EventFields } from './service.ts'

const SELF = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const R0 = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const R1 = '12D3KooWMtQ4BVk9Ami4GRj6BWKurPbX86tD96PpR2DTaSHDgXu2'
const relay = (shard: string, peerId: string) => ({
  shard,
  peerId,
  addrs: [`/ip4/127.0.0.1/tcp/8787/ws/p2p/${peerId}`],
})

function setup(reachable: (peer: string) => boolean) {
  const events: Array<{ name: string; fields: EventFields }> = []
  const reserved = new Set<string>()
  const store = Object.assign(new EventTarget(), {
    addRelay: vi.fn(async () => ({})),
    hasReservation: (p: PeerId) => reserved.has(p.toString()),
  })
  const listen = vi.fn(async (addrs: Array<{ toString: () => string }>) => {
    const id = addrs[0]!.toString().split('/')[2]!
    reserved.add(id)
  })
  const node = {
    peerId: peerIdFromString(SELF),
    getMultiaddrs: () => [],
    dial: vi.fn(async (addrs: Array<{ toString: () => string }>) => {
      const id = addrs[0]!.toString().split('/p2p/')[1]!
      if (!reachable(id)) throw new Error('connection refused')
    }),
    components: { transportManager: { listen, getListeners: () => [] } },
  } as unknown as Libp2p
  const transport = { reservationStore: store } as unknown as Transport
  const drop = (id: string) => {
    reserved.delete(id)
    store.dispatchEvent(new CustomEvent('relay:removed', { detail: { relay: peerIdFromString(id) } }))
  }
  return {
    node,
    transport,
    events,
    drop,
    sink: (name: string, fields: EventFields = {}) => events.push({ name, fields }),
  }
}

describe('ReservationKeeper', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('reserves on two shards and re-reserves a lost one with backoff', async () => {
    let up = true
    const s = setup((id) => up || id !== R0)
    const keeper = new ReservationKeeper({
      node: s.node,
      transport: s.transport,
      relays: [relay('0', R0), relay('1', R1)],
      want: 2,
      events: s.sink,
      random: () => 1,
    })
    keeper.start()
    await vi.advanceTimersByTimeAsync(10)
    expect(
      keeper
        .list()
        .map((r) => r.shard)
        .sort(),
    ).toEqual(['0', '1'])
    up = false
    s.drop(R0)
    expect(s.events.find((e) => e.name === 'reservation.lost')?.fields).toMatchObject({
      shard: '0',
      relay: R0,
    })
    await vi.advanceTimersByTimeAsync(500 + 1000 + 10)
    const delays = s.events.filter((e) => e.name === 'reservation.retry').map((e) => e.fields.retryInMs)
    expect(delays).toEqual([500, 1000, 2000])
    expect(keeper.list().map((r) => r.shard)).toEqual(['1'])
    up = true
    await vi.advanceTimersByTimeAsync(2000 + 10)
    expect(
      keeper
        .list()
        .map((r) => r.shard)
        .sort(),
    ).toEqual(['0', '1'])
    keeper.stop()
  })

  it('firstRound() settles once every first attempt was made or failed, not before', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const s = setup((id) => id !== R1)
    const slow = s.node.dial as unknown as ReturnType<typeof vi.fn>
    const dial = slow.getMockImplementation() as (addrs: unknown) => Promise<void>
    // shard 0 answers only when released; shard 1 refuses at once
    slow.mockImplementation(async (addrs: Array<{ toString: () => string }>) => {
      if (addrs[0]!.toString().includes(R0)) await gate
      return dial(addrs)
    })
    const keeper = new ReservationKeeper({
      node: s.node,
      transport: s.transport,
      relays: [relay('0', R0), relay('1', R1)],
      want: 2,
      events: s.sink,
      random: () => 1,
    })
    keeper.start()
    let settled = false
    void keeper.firstRound().then(() => {
      settled = true
    })
    await vi.advanceTimersByTimeAsync(10)
    expect(settled).toBe(false)
    expect(s.events.map((e) => e.name)).toContain('reservation.retry')
    release()
    await vi.advanceTimersByTimeAsync(10)
    expect(settled).toBe(true)
    expect(keeper.list().map((r) => r.shard)).toEqual(['0'])
    keeper.stop()
  })

  it('asks for a fresh relay list after repeated failures', async () => {
    const s = setup((id) => id !== R0)
    const R2 = '12D3KooWF5pGamRojcLMjkt1HpxJeWnKa8JvgYFg7tnAHDLHyKQB'
    const refresh = vi.fn(async () => [relay('0', R2), relay('1', R1)])
    const keeper = new ReservationKeeper({
      node: s.node,
      transport: s.transport,
      relays: [relay('0', R0), relay('1', R1)],
      want: 2,
      events: s.sink,
      random: () => 1,
      refresh,
    })
    keeper.start()
    await vi.advanceTimersByTimeAsync(500 + 1000 + 50)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(
      keeper
        .list()
        .map((r) => r.relay)
        .sort(),
    ).toEqual([R1, R2].sort())
    keeper.stop()
  })

  it('names super-peer reservations by kind, not shard, and keeps to its own relays', async () => {
    const s = setup(() => true)
    const keeper = new ReservationKeeper({
      node: s.node,
      transport: s.transport,
      relays: [relay('super-peer', R0), relay('super-peer', R1)],
      want: 1,
      kind: 'super-peer',
      events: s.sink,
      random: () => 1,
    })
    keeper.start()
    await vi.advanceTimersByTimeAsync(10)
    const [only, ...rest] = keeper.list()
    expect(rest).toEqual([])
    expect(only).toMatchObject({ kind: 'super-peer' })
    expect(only).not.toHaveProperty('shard')
    expect(s.events.find((e) => e.name === 'reservation.made')?.fields).toEqual({
      kind: 'super-peer',
      relay: only!.relay,
    })
    expect(keeper.has(R0) && keeper.has(R1)).toBe(true)
    expect(keeper.shardOf(R0)).toBeUndefined()
    keeper.stop()
  })
})

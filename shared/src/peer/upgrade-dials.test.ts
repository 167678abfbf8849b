import type { Connection, Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { dialWebRTCHedged } from './upgrade-dials.ts'

const RELAY = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const PEER = peerIdFromString('12D3KooWMtQ4BVk9Ami4GRj6BWKurPbX86tD96PpR2DTaSHDgXu2')
const relayed = {
  remoteAddr: multiaddr(`/ip4/10.0.0.1/tcp/8787/ws/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`),
} as unknown as Connection

interface Call {
  signal: AbortSignal
  settle: (outcome: 'connect' | Error) => void
  conn: { remoteAddr: ReturnType<typeof multiaddr>; close: ReturnType<typeof vi.fn> }
}

/** A node whose transport manager's dials stay pending until the test settles them (or they are aborted). */
function fakeNode(honourAbort = true) {
  const calls: Call[] = []
  const dial = vi.fn(
    (_ma: unknown, opts: { signal: AbortSignal }) =>
      new Promise((resolve, reject) => {
        const conn = {
          remoteAddr: multiaddr(`/ip4/10.0.0.2/udp/4000/webrtc/p2p/${PEER}`),
          close: vi.fn(async () => {}),
        }
        if (honourAbort)
          opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true })
        calls.push({
          signal: opts.signal,
          conn,
          settle: (outcome) => (outcome === 'connect' ? resolve(conn) : reject(outcome)),
        })
      }),
  )
  const node = {
    components: { transportManager: { dial, getListeners: () => [] } },
  } as unknown as Libp2p
  return { node, calls }
}

describe('dialWebRTCHedged', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts a second attempt when the first has not connected in time; the first to connect wins', async () => {
    const { node, calls } = fakeNode()
    const phases: Record<string, number> = {}
    const result = dialWebRTCHedged(node, PEER, relayed, 15_000, 200, phases)
    await vi.advanceTimersByTimeAsync(199)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(2)
    calls[1]!.settle('connect')
    expect(await result).toBe(calls[1]!.conn)
    // the stalled first attempt is aborted, not left to finish its handshake
    expect(calls[0]!.signal.aborted).toBe(true)
    expect(phases).toMatchObject({ hedgedAt: 200, winner: 2 })
    expect(phases.connected).toBeGreaterThanOrEqual(200)
  })

  it('closes an attempt that connected after the other had won', async () => {
    // a dial whose handshake ended just as it was aborted: it resolves anyway
    const { node, calls } = fakeNode(false)
    const result = dialWebRTCHedged(node, PEER, relayed, 15_000, 200)
    await vi.advanceTimersByTimeAsync(200)
    calls[0]!.settle('connect')
    expect(await result).toBe(calls[0]!.conn)
    expect(calls[1]!.signal.aborted).toBe(true)
    calls[1]!.settle('connect')
    await vi.advanceTimersByTimeAsync(0)
    expect(calls[1]!.conn.close).toHaveBeenCalledTimes(1)
    expect(calls[0]!.conn.close).not.toHaveBeenCalled()
  })

  it('does not hedge a connection that connects in time, nor one that failed before the hedge', async () => {
    const fast = fakeNode()
    const ok = dialWebRTCHedged(fast.node, PEER, relayed, 15_000, 200)
    await vi.advanceTimersByTimeAsync(50)
    fast.calls[0]!.settle('connect')
    expect(await ok).toBe(fast.calls[0]!.conn)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(fast.calls).toHaveLength(1)

    const refused = fakeNode()
    const failed = dialWebRTCHedged(refused.node, PEER, relayed, 15_000, 200)
    await vi.advanceTimersByTimeAsync(50)
    refused.calls[0]!.settle(new Error('protocol selection failed for /webrtc-signaling/0.0.1'))
    expect(await failed).toBe('the peer does not speak WebRTC (no /webrtc-signaling/0.0.1)')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(refused.calls).toHaveLength(1)
  })

  it('answers the first reason once both attempts failed', async () => {
    const { node, calls } = fakeNode()
    const result = dialWebRTCHedged(node, PEER, relayed, 15_000, 200)
    await vi.advanceTimersByTimeAsync(200)
    calls[1]!.settle(new Error('ICE failed'))
    await vi.advanceTimersByTimeAsync(10)
    calls[0]!.settle(new Error('DTLS failed'))
    expect(await result).toBe('WebRTC upgrade failed: ICE failed')
  })
})

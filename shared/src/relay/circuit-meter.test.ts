import type { Stream } from '@libp2p/interface'
import { pipe, streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { type CircuitEnd, meterCircuit } from './circuit-meter.ts'

/** Two peers (`left`, `right`) and a relay in the middle that pipes `hop` <-> `stop` like the stock server. */
async function relayed(limits: { maxBytes: number; maxDurationMs: number }) {
  const [left, hop] = await streamPair()
  const [stop, right] = await streamPair()
  const ends: CircuitEnd[] = []
  let metered = 0
  const circuit = meterCircuit(hop, stop, limits, {
    onBytes: (n) => {
      metered += n
    },
    onEnd: (e) => ends.push(e),
  })
  pipe(hop, stop, hop).catch((err: Error) => {
    hop.abort(err)
    stop.abort(err)
  })
  return { left, right, ends, circuit, metered: () => metered }
}

function received(stream: Stream): { bytes: number; done: Promise<'end' | 'error'> } {
  const state = { bytes: 0, done: Promise.resolve<'end' | 'error'>('end') }
  state.done = (async () => {
    try {
      for await (const chunk of stream) state.bytes += chunk.byteLength
      return 'end'
    } catch {
      return 'error'
    }
  })()
  return state
}

describe('meterCircuit', () => {
  it('forwards and counts both directions, ending without a reason when the peers close', async () => {
    const { left, right, ends, metered } = await relayed({ maxBytes: 1 << 20, maxDurationMs: 60_000 })
    const atRight = received(right)
    const atLeft = received(left)
    left.send(new Uint8Array(1000))
    right.send(new Uint8Array(500))
    await left.close()
    await right.close()
    expect(await atRight.done).toBe('end')
    expect(await atLeft.done).toBe('end')
    expect(atRight.bytes).toBe(1000)
    expect(atLeft.bytes).toBe(500)
    expect(metered()).toBe(1500)
    await expect.poll(() => ends.length).toBe(1)
    expect(ends[0]).toMatchObject({ bytes: 1500 })
    expect(ends[0]?.reason).toBeUndefined()
  })

  it('cuts the circuit before forwarding the chunk that would exceed maxBytes', async () => {
    const { left, right, ends } = await relayed({ maxBytes: 10_000, maxDurationMs: 60_000 })
    const atRight = received(right)
    for (let i = 0; i < 30; i++) {
      if (left.status !== 'open') break
      left.send(new Uint8Array(1000))
      await new Promise((r) => setTimeout(r, 2))
    }
    expect(await atRight.done).toBe('error')
    expect(atRight.bytes).toBeLessThanOrEqual(10_000)
    await expect.poll(() => ends[0]?.reason).toBe('circuit_bytes')
    expect(ends[0]?.bytes).toBeLessThanOrEqual(10_000)
  })

  it('cuts the circuit after maxDurationMs', async () => {
    const { right, ends } = await relayed({ maxBytes: 1 << 20, maxDurationMs: 50 })
    const atRight = received(right)
    expect(await atRight.done).toBe('error')
    expect(ends).toHaveLength(1)
    expect(ends[0]?.reason).toBe('circuit_duration')
    expect(ends[0]?.durationMs).toBeGreaterThanOrEqual(40)
  })

  it('cut() reports the reason once', async () => {
    const { ends, circuit } = await relayed({ maxBytes: 1 << 20, maxDurationMs: 60_000 })
    circuit.cut('circuit_bytes')
    circuit.cut('circuit_duration')
    expect(ends).toEqual([expect.objectContaining({ reason: 'circuit_bytes' })])
  })
})

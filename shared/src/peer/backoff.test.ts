import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff.ts'

describe('Backoff', () => {
  it('grows with jitter up to its maximum and resets', () => {
    const b = new Backoff(100, 1_000)
    const delays = Array.from({ length: 12 }, () => b.next())
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(50)
      expect(d).toBeLessThanOrEqual(1_000)
    }
    expect(Math.max(...delays.slice(-4))).toBeGreaterThan(100)
    b.reset()
    expect(b.attempts).toBe(0)
    expect(b.next()).toBeLessThanOrEqual(100)
  })
})

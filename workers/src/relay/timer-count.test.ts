import { describe, expect, it } from 'vitest'
import { activeTimers, installTimerCount } from './timer-count.ts'

describe('timer count', () => {
  it('counts pending timeouts and intervals until they fire or are cleared', async () => {
    installTimerCount()
    installTimerCount()
    const before = activeTimers()
    const a = setTimeout(() => {}, 60_000)
    const b = setInterval(() => {}, 60_000)
    let fired = false
    setTimeout(() => {
      fired = true
    }, 1)
    expect(activeTimers()).toBe(before + 3)
    await new Promise((r) => setTimeout(r, 20))
    expect(fired).toBe(true)
    expect(activeTimers()).toBe(before + 2)
    clearTimeout(a)
    clearInterval(b)
    expect(activeTimers()).toBe(before)
  })
})

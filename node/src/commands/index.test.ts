import { describe, expect, it } from 'vitest'
import { serviceProgram } from './index.ts'

async function usageError(argv: string[]): Promise<{ name: string; message: string }> {
  const err = await serviceProgram()
    .parseAsync(argv, { from: 'user' })
    .then(
      () => undefined,
      (e: Error) => e,
    )
  if (err === undefined) throw new Error(`expected ${argv.join(' ')} to fail`)
  return { name: err.name, message: err.message }
}

describe('the edgeswarm program (commander, one spec)', () => {
  it('holds every command, the daemon and its client commands included', () => {
    const names = serviceProgram().commands.map((c) => c.name())
    expect(names).toEqual(expect.arrayContaining(['node', 'status', 'dial', 'ping', 'send', 'transfers']))
  })

  it('generates help from the declarations (flags written once)', () => {
    const node = serviceProgram().commands.find((c) => c.name() === 'node')!
    const help = node.helpInformation()
    for (const flag of ['--bootstrap <URL>', '--listen <multiaddr>', '--no-webrtc', '--public-cidr <cidr>']) {
      expect(help).toContain(flag)
    }
  })

  it('turns parse errors into one-line UsageErrors in our words', async () => {
    expect(await usageError(['node', '--bogus'])).toEqual({
      name: 'UsageError',
      message: "Unknown option '--bogus'",
    })
    expect(await usageError(['frobnicate'])).toEqual({
      name: 'UsageError',
      message: 'unknown command "frobnicate"',
    })
    expect(await usageError(['ping'])).toEqual({
      name: 'UsageError',
      message: 'expected exactly 1 argument (a peer ID), got 0',
    })
    expect((await usageError(['send', 'x', '--bytes', 'lots'])).name).toBe('InvalidInputError')
  })
})

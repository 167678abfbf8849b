import { describe, expect, it } from 'vitest'
import {
  BootstrapError,
  ConfigError,
  InvalidInputError,
  QuotaExceededError,
  TimeoutError,
  UnauthorizedError,
} from '#shared/errors.ts'
import { errorAnswer } from './http-error.ts'

describe('errorAnswer', () => {
  it('shows our 4xx messages, one bounded line', () => {
    expect(errorAnswer(new InvalidInputError('peers must be an integer in [0, 64], got "abc"'))).toEqual({
      status: 400,
      code: 'invalid_input',
      message: 'peers must be an integer in [0, 64], got "abc"',
    })
    const long = errorAnswer(new QuotaExceededError(`x\n${'y'.repeat(500)}`))
    expect(long.status).toBe(429)
    expect(long.message).not.toContain('\n')
    expect(long.message.length).toBeLessThanOrEqual(200)
  })

  it('answers 401 with a bearer challenge and a fixed text', () => {
    const a = errorAnswer(new UnauthorizedError('token abc is wrong'))
    expect(a.status).toBe(401)
    expect(a.message).not.toContain('abc')
    expect(a.headers?.['WWW-Authenticate']).toMatch(/^Bearer /)
  })

  it('never shows the message of a 5xx', () => {
    for (const err of [
      new ConfigError('RELAY_SHARDS must be an integer, got "x"'),
      new TimeoutError('shard-1 at 10.0.0.1 timed out'),
      new BootstrapError('secret upstream'),
      new Error('TypeError: boom at foo.ts:1'),
      new TypeError('x is undefined'),
      'a string',
      { name: 'toString' },
      undefined,
    ]) {
      const a = errorAnswer(err)
      expect(a.status).toBeGreaterThanOrEqual(500)
      expect(a.message).not.toMatch(/RELAY_SHARDS|shard-1|secret|boom|undefined|string/)
    }
    expect(errorAnswer(new ConfigError('x')).code).toBe('config_error')
    expect(errorAnswer(new Error('x')).code).toBe('internal_error')
  })
})

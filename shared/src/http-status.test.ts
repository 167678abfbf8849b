import { describe, expect, it } from 'vitest'
import * as errors from './errors.ts'
import { HTTP_STATUS_BY_ERROR, httpStatusOf } from './http-status.ts'

describe('error → HTTP status', () => {
  it('names only error classes of errors.ts (a class left out answers 500)', () => {
    const classes = (Object.values(errors) as unknown[]).filter(
      (v): v is new (m: string) => Error => typeof v === 'function' && v.prototype instanceof Error,
    )
    const names = new Set(classes.map((c) => c.name))
    for (const name of Object.keys(HTTP_STATUS_BY_ERROR)) expect(names.has(name), name).toBe(true)
  })

  it('one status per error, 500 for foreign errors', () => {
    expect(httpStatusOf(new errors.InvalidInputError('x'))).toBe(400)
    expect(httpStatusOf(new errors.ConfigError('x'))).toBe(500)
    expect(httpStatusOf(new errors.TimeoutError('x'))).toBe(504)
    expect(httpStatusOf(new TypeError('x'))).toBe(500)
    expect(httpStatusOf({ name: 'constructor' })).toBe(500)
    expect(httpStatusOf('InvalidInputError')).toBe(500)
  })
})

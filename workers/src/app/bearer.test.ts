import { describe, expect, it } from 'vitest'
import { bearerMatches, bearerToken, timingSafeEqual } from './bearer.ts'

describe('bearer', () => {
  it('extracts the token', () => {
    expect(bearerToken('Bearer abc')).toBe('abc')
    expect(bearerToken('bearer  abc ')).toBe('abc')
    expect(bearerToken('Basic abc')).toBeUndefined()
    expect(bearerToken('Bearer ')).toBeUndefined()
    expect(bearerToken(null)).toBeUndefined()
  })

  it('matches only the exact key', async () => {
    expect(await bearerMatches('Bearer s3cret', 's3cret')).toBe(true)
    expect(await bearerMatches('Bearer s3cre', 's3cret')).toBe(false)
    expect(await bearerMatches('Bearer s3cret2', 's3cret')).toBe(false)
    expect(await bearerMatches(undefined, 's3cret')).toBe(false)
    expect(await bearerMatches('s3cret', 's3cret')).toBe(false)
  })

  it('compares bytes', () => {
    expect(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true)
    expect(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false)
    expect(timingSafeEqual(Uint8Array.of(1), Uint8Array.of(1, 3))).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { fromBase64, toBase64 } from './content-id.ts'

describe('compute base64', () => {
  it('matches btoa (padding included) for every tail length and round-trips', () => {
    for (const len of [0, 1, 2, 3, 4, 5, 1024, 9217]) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 97 + len) % 256)
      const reference = btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''))
      expect(toBase64(bytes)).toBe(reference)
      expect(fromBase64(toBase64(bytes))).toEqual(bytes)
    }
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('+/+/') // the last two table entries
  })
})

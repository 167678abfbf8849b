import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { interceptSend, readStatus, unwrapStream } from './stream.ts'

describe('contract: js-libp2p stream internals', () => {
  it('streams have send() we can replace, and readStatus follows pause/resume', async () => {
    const [a, b] = await streamPair()
    const seen: number[] = []
    interceptSend(a, (send) => (data) => {
      seen.push(data.byteLength)
      return send(data)
    })
    expect(a.send(Uint8Array.of(1, 2, 3))).toBe(true)
    expect(seen).toEqual([3])
    expect(readStatus(b)).toBe('readable')
    b.pause()
    expect(readStatus(b)).toBe('paused')
    b.resume()
    expect(readStatus(b)).toBe('readable')
    expect(unwrapStream(a)).toBe(a)
    expect(unwrapStream({ unwrap: () => a })).toBe(a)
  })
})

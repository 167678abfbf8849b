import { describe, expect, it } from 'vitest'
import { bodyTooLarge, hasBody, streamExceeds } from './body-limit.ts'

function chunked(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent++ < chunks) controller.enqueue(new Uint8Array(size))
      else controller.close()
    },
  })
}

describe('body limit', () => {
  it('reads a chunked body only up to the limit', async () => {
    expect(await streamExceeds(chunked(4, 10), 40)).toBe(false)
    expect(await streamExceeds(chunked(5, 10), 40)).toBe(true)
    expect(await streamExceeds(chunked(1_000_000, 1024), 4096)).toBe(true)
  })

  it('refuses a declared length over the limit without reading', async () => {
    const r = new Request('http://x/', { method: 'POST', body: 'x', headers: { 'content-length': '100' } })
    expect(await bodyTooLarge(r, 10)).toBe(true)
    expect(r.bodyUsed).toBe(false)
    expect(await bodyTooLarge(new Request('http://x/', { method: 'POST', body: '12345' }), 10)).toBe(false)
    expect(await bodyTooLarge(new Request('http://x/'), 10)).toBe(false)
  })

  it('rejects a body it cannot read with InvalidInputError', async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    await expect(streamExceeds(broken, 10)).rejects.toMatchObject({ name: 'InvalidInputError' })
  })

  it('detects a body by its headers', () => {
    expect(hasBody(new Request('http://x/'))).toBe(false)
    expect(hasBody(new Request('http://x/', { headers: { 'transfer-encoding': 'chunked' } }))).toBe(true)
  })
})

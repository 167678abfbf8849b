import { describe, expect, it } from 'vitest'
import { bodyTooLarge, hasBody } from './body-limit.ts'

function chunked(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(new Uint8Array(1024))
    },
  })
}

describe('body limit', () => {
  it('refuses a declared length over the limit or malformed, without reading', () => {
    const r = new Request('http://x/', { method: 'POST', body: 'x', headers: { 'content-length': '100' } })
    expect(bodyTooLarge(r, 10)).toBe(true)
    expect(r.bodyUsed).toBe(false)
    const small = new Request('http://x/', {
      method: 'POST',
      body: '12345',
      headers: { 'content-length': '5' },
    })
    expect(bodyTooLarge(small, 10)).toBe(false)
    expect(bodyTooLarge(new Request('http://x/', { headers: { 'content-length': '0' } }), 10)).toBe(false)
    expect(bodyTooLarge(new Request('http://x/', { headers: { 'content-length': '1e3' } }), 10)).toBe(true)
    expect(bodyTooLarge(new Request('http://x/'), 10)).toBe(false)
  })

  it('refuses a body of unknown length unread', () => {
    const stream = chunked()
    const r = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(bodyTooLarge(r, 1 << 20)).toBe(true)
    expect(stream.locked).toBe(false)
  })

  it('detects a body by its headers', () => {
    expect(hasBody(new Request('http://x/'))).toBe(false)
    expect(hasBody(new Request('http://x/', { headers: { 'transfer-encoding': 'chunked' } }))).toBe(true)
    expect(hasBody(new Request('http://x/', { headers: { 'content-length': '3' } }))).toBe(true)
  })
})

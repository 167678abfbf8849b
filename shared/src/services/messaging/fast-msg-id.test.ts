import { describe, expect, it } from 'vitest'
import { fastMsgId } from './fast-msg-id.ts'

const bytes = (...xs: number[]) => new Uint8Array(xs)

describe('fastMsgId', () => {
  it('is the same for two copies of one message', () => {
    const a = { from: bytes(1, 2), seqno: bytes(0, 0, 7), signature: bytes(9, 9), data: bytes(5) }
    expect(fastMsgId({ ...a })).toBe(fastMsgId({ ...a }))
  })

  it('differs by author, sequence number and signature', () => {
    const base = { from: bytes(1, 2), seqno: bytes(0, 7), signature: bytes(9, 9) }
    const ids = new Set([
      fastMsgId(base),
      fastMsgId({ ...base, from: bytes(1, 3) }),
      fastMsgId({ ...base, seqno: bytes(0, 8) }),
      fastMsgId({ ...base, signature: bytes(9, 8) }),
      // fields do not run into each other
      fastMsgId({ from: bytes(1, 2, 0), seqno: bytes(7), signature: base.signature }),
    ])
    expect(ids.size).toBe(5)
  })

  it('accepts a message without the StrictSign fields (GossipSub rejects it afterwards)', () => {
    expect(fastMsgId({})).toBe('..')
  })
})

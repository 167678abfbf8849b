import { describe, expect, it } from 'vitest'
import { admit } from './mailbox-quota.ts'

const limits = { maxMessages: 3, maxBytes: 100, maxPerSender: 2 }

describe('mailbox quotas', () => {
  it('admits within every quota', () => {
    expect(admit({ messages: 0, bytes: 0, fromSender: 0 }, 10, limits)).toEqual({ ok: true })
    expect(admit({ messages: 2, bytes: 90, fromSender: 1 }, 10, limits)).toEqual({ ok: true })
  })

  it('refuses a full box by count or bytes, naming the reason', () => {
    const byCount = admit({ messages: 3, bytes: 0, fromSender: 0 }, 1, limits)
    expect(byCount).toMatchObject({ ok: false, code: 'mailbox_full' })
    expect(admit({ messages: 1, bytes: 95, fromSender: 0 }, 10, limits)).toMatchObject({
      code: 'mailbox_full',
    })
    expect((byCount as { message: string }).message).toMatch(/full \(3 messages/)
  })

  it('refuses one sender past its share while others still fit', () => {
    expect(admit({ messages: 2, bytes: 10, fromSender: 2 }, 10, limits)).toMatchObject({
      code: 'sender_quota',
    })
    expect(admit({ messages: 2, bytes: 10, fromSender: 0 }, 10, limits)).toEqual({ ok: true })
  })
})

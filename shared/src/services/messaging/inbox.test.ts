import { describe, expect, it } from 'vitest'
import { memoryKv } from '../../peer/storage.ts'
import { Inbox } from './inbox.ts'
import type { DirectMessage } from './types.ts'

const msg = (id: string, body: string, via: DirectMessage['via'] = 'mailbox'): DirectMessage => ({
  id: id.padStart(32, '0'),
  from: 'A',
  to: 'B',
  body,
  sentAt: 1,
  receivedAt: 2,
  via,
})

describe('inbox: exactly-once bookkeeping', () => {
  it('keeps each message ID once, whichever way it came, in arrival order', async () => {
    const kv = memoryKv()
    const inbox = new Inbox(kv)
    const seen: string[] = []
    inbox.onMessage((m) => seen.push(m.body))
    expect(await inbox.accept(msg('1', 'one', 'direct'))).toBe(true)
    expect(await inbox.accept(msg('2', 'two'))).toBe(true)
    expect(await inbox.accept(msg('1', 'one again'))).toBe(false)
    expect(await inbox.accept(msg('3', 'three'))).toBe(true)
    expect((await inbox.list()).map((m) => m.body)).toEqual(['one', 'two', 'three'])
    expect(seen).toEqual(['one', 'two', 'three'])
  })

  it('concurrent deliveries of one ID store one copy', async () => {
    const inbox = new Inbox(memoryKv())
    const results = await Promise.all([inbox.accept(msg('9', 'x')), inbox.accept(msg('9', 'x', 'direct'))])
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await inbox.list()).toHaveLength(1)
  })

  it('survives a restart (same store): a re-fetched mailbox page adds nothing', async () => {
    const kv = memoryKv()
    const first = new Inbox(kv)
    for (const [id, b] of [
      ['1', 'a'],
      ['2', 'b'],
    ] as const)
      await first.accept(msg(id, b))
    // the node stopped after storing but before acknowledging: the edge hands the page out again
    const again = new Inbox(kv)
    expect(await again.accept(msg('1', 'a'))).toBe(false)
    expect(await again.accept(msg('2', 'b'))).toBe(false)
    expect(await again.accept(msg('3', 'c'))).toBe(true)
    expect((await again.list()).map((m) => m.body)).toEqual(['a', 'b', 'c'])
  })

  it('a batch (one mailbox page) keeps arrival order and drops IDs seen before or twice in it', async () => {
    const inbox = new Inbox(memoryKv())
    const seen: string[] = []
    inbox.onMessage((m) => seen.push(m.body))
    expect(await inbox.accept(msg('1', 'live', 'direct'))).toBe(true)
    const page = [msg('2', 'b'), msg('1', 'again'), msg('3', 'c'), msg('2', 'b twice')]
    expect(await inbox.acceptAll(page)).toEqual([true, false, true, false])
    expect(await inbox.acceptAll([])).toEqual([])
    expect(await inbox.acceptAll([msg('3', 'c')])).toEqual([false])
    expect((await inbox.list()).map((m) => m.body)).toEqual(['live', 'b', 'c'])
    expect(seen).toEqual(['live', 'b', 'c'])
  })
})

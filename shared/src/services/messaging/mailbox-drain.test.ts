import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStorage } from '../../peer/storage.ts'
import { checkSignedRequest, type MailboxItem, type SignedRequest } from '../../protocol/mailbox.ts'
import { MailboxDrain } from './mailbox-drain.ts'
import { sealEnvelope } from './seal.ts'

const alice = await generateKeyPair('Ed25519')
const bob = await generateKeyPair('Ed25519')
const A = peerIdFromPrivateKey(alice).toString()
const B = peerIdFromPrivateKey(bob).toString()
const hex = (n: number) => n.toString(16).padStart(32, '0')

/**
 * A stand-in for the edge's mailbox routes: hands out `items` until they are acknowledged, and checks
 * every request's signature as the edge does (the drain signs with the libp2p key itself).
 */
function fakeEdge(items: MailboxItem[]) {
  const calls: string[] = []
  let acked = 0
  vi.stubGlobal('fetch', async (url: URL, init: { body: string }) => {
    const path = url.pathname
    const action = path.endsWith('/fetch') ? 'fetch' : 'ack'
    calls.push(path.split('/').at(-1)!)
    const body = JSON.parse(init.body) as SignedRequest & { after?: number; upTo?: number }
    checkSignedRequest(action, B, body, String(body.after ?? body.upTo))
    if (action === 'fetch') {
      return Response.json({ messages: items.filter((i) => i.seq > acked) })
    }
    acked = body.upTo ?? 0
    return Response.json({ deleted: 1 })
  })
  return calls
}

describe('mailbox drain', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('stores a page in order, acknowledges it after, and runs without libp2p', async () => {
    const letters = [1, 2, 3].map((n) => sealEnvelope(alice, A, B, { id: hex(n), ts: n, body: `m${n}` }))
    const garbage = { ...letters[0]!, sealed: letters[1]!.sealed } // a forged or damaged envelope
    const calls = fakeEdge([...letters, garbage].map((envelope, i) => ({ seq: i + 1, envelope })))
    const events: Array<[string, Record<string, unknown> | undefined]> = []
    const drain = new MailboxDrain({
      privateKey: bob,
      edgeUrl: 'http://edge.test',
      storage: memoryStorage(),
      events: (name, fields) => void events.push([name, fields]),
    })
    expect(drain.self).toBe(B)
    const [fresh] = await Promise.all([drain.check(), drain.check()]) // one run at a time
    await drain.firstPage
    expect(fresh).toBe(3)
    expect(calls).toEqual(['fetch', 'ack', 'fetch'])
    expect((await drain.inbox.list()).map((m) => [m.body, m.from, m.via])).toEqual([
      ['m1', A, 'mailbox'],
      ['m2', A, 'mailbox'],
      ['m3', A, 'mailbox'],
    ])
    expect(events.map(([e]) => e)).toEqual([
      'dm.dropped',
      'dm.received',
      'dm.received',
      'dm.received',
      'mailbox.checked',
    ])
    // a second check finds nothing new and stores nothing twice
    expect(await drain.check()).toBe(0)
    expect(await drain.inbox.list()).toHaveLength(3)
  })

  it('a failing edge resolves firstPage (the node does not wait on it) and reports the failure', async () => {
    vi.stubGlobal('fetch', async () => new Response('{}', { status: 503 }))
    const events: string[] = []
    const drain = new MailboxDrain({
      privateKey: bob,
      edgeUrl: 'http://edge.test',
      storage: memoryStorage(),
      events: (name) => void events.push(name),
    })
    drain.poll()
    await drain.firstPage
    await vi.waitFor(() => expect(events).toContain('mailbox.fetch-failed'))
  })
})

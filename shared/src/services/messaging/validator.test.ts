import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Message } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import * as D from '../../defaults.ts'
import { payloadCodec } from './payload.ts'
import { RateLimiter } from './rate-limit.ts'
import type { DropReason } from './types.ts'
import { messageValidator } from './validator.ts'

const author = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const forwarder = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

function signed(topic: string, data: Uint8Array, from = author): Message {
  return {
    type: 'signed',
    from,
    topic,
    data,
    sequenceNumber: 1n,
    signature: new Uint8Array(64),
    key: from.publicKey!,
  }
}

function setup(now = () => 0, key?: string) {
  const drops: DropReason[] = []
  const codec = payloadCodec(key)
  const v = messageValidator({ codec, onDrop: (r) => drops.push(r), now })
  return { v, drops, codec }
}

describe('pub/sub payload', () => {
  it('round-trips plain JSON', () => {
    const c = payloadCodec(undefined)
    expect(c.decode('t', c.encode('t', { t: 5, body: 'hé' }))).toEqual({ t: 5, body: 'hé' })
  })

  it('seals under the network key: strangers and other topics cannot open it', () => {
    const c = payloadCodec('secret')
    const bytes = c.encode('chat', { t: 1, body: 'private' })
    expect(new TextDecoder().decode(bytes)).not.toContain('private')
    expect(c.decode('chat', bytes).body).toBe('private')
    expect(() => payloadCodec('other').decode('chat', bytes)).toThrow('unsealable')
    expect(() => c.decode('other-topic', bytes)).toThrow('unsealable')
    expect(() => payloadCodec(undefined).decode('chat', bytes)).toThrow('malformed')
  })

  it('names malformed input', () => {
    const c = payloadCodec(undefined)
    for (const s of [
      '',
      'nope',
      '{"v":2,"t":1,"body":"x"}',
      '{"v":1,"t":"x","body":"x"}',
      '{"v":1,"t":1}',
      'null',
    ]) {
      expect(() => c.decode('t', new TextEncoder().encode(s))).toThrow('malformed')
    }
    expect(() => c.decode('t', new Uint8Array([0xff, 0xfe]))).toThrow('malformed')
  })
})

describe('rate limiter', () => {
  it('allows the burst, then the rate', () => {
    let now = 0
    const r = new RateLimiter(10, 5, () => now)
    for (let i = 0; i < 5; i++) expect(r.take('a')).toBe(true)
    expect(r.take('a')).toBe(false)
    expect(r.take('b')).toBe(true)
    now += 100
    expect(r.take('a')).toBe(true)
    expect(r.take('a')).toBe(false)
  })
})

describe('pub/sub validator', () => {
  it('accepts a well-formed signed message', () => {
    const { v, codec, drops } = setup()
    expect(v(author, signed('chat', codec.encode('chat', { t: 1, body: 'hi' })))).toBe('accept')
    expect(drops).toEqual([])
  })

  it('hands each accepted message and its payload on, and only accepted ones', () => {
    const codec = payloadCodec('key')
    const accepted: Array<[Message, unknown]> = []
    const v = messageValidator({ codec, onDrop: () => undefined, onAccept: (m, p) => accepted.push([m, p]) })
    const msg = signed('chat', codec.encode('chat', { t: 7, body: 'once' }))
    expect(v(author, msg)).toBe('accept')
    expect(v(author, signed('chat', new TextEncoder().encode('garbage')))).toBe('reject')
    expect(accepted).toEqual([[msg, { t: 7, body: 'once' }]])
  })

  it('rejects unsigned, oversized, malformed and badly named messages, and counts each', () => {
    const { v, codec, drops } = setup()
    expect(v(author, { type: 'unsigned', topic: 'chat', data: new Uint8Array(1) })).toBe('reject')
    const big = codec.encode('chat', { t: 1, body: 'x'.repeat(D.DEFAULT_PUBSUB_MAX_MESSAGE_BYTES) })
    expect(v(author, signed('chat', big))).toBe('reject')
    expect(v(author, signed('chat', new TextEncoder().encode('garbage')))).toBe('reject')
    expect(v(author, signed('bad topic!', codec.encode('bad topic!', { t: 1, body: '' })))).toBe('reject')
    expect(drops).toEqual(['unsigned', 'too_large', 'malformed', 'bad_topic'])
  })

  it('rejects a stranger in a private network (cannot seal)', () => {
    const { v, drops } = setup(() => 0, 'key')
    const stranger = payloadCodec('guess').encode('chat', { t: 1, body: 'let me in' })
    expect(v(author, signed('chat', stranger))).toBe('reject')
    expect(drops).toEqual(['unsealable'])
  })

  it('punishes an author flooding us directly, only ignores the excess through a forwarder', () => {
    const { v, codec, drops } = setup()
    const data = codec.encode('chat', { t: 1, body: 'spam' })
    for (let i = 0; i < D.DEFAULT_PUBSUB_RATE_BURST; i++)
      expect(v(author, signed('chat', data))).toBe('accept')
    expect(v(author, signed('chat', data))).toBe('reject')
    expect(v(forwarder, signed('chat', data))).toBe('ignore')
    expect(drops).toEqual(['rate_limited', 'rate_limited'])
  })
})

import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  checkSignedRequest,
  envelopeSigningBytes,
  fromBase64Url,
  parseEnvelope,
  requestSigningBytes,
  signWith,
  toBase64Url,
} from '../../protocol/mailbox.ts'
import { openEnvelope, sealEnvelope, seedOf } from './seal.ts'

const alice = await generateKeyPair('Ed25519')
const bob = await generateKeyPair('Ed25519')
const eve = await generateKeyPair('Ed25519')
const A = peerIdFromPrivateKey(alice).toString()
const B = peerIdFromPrivateKey(bob).toString()
const E = peerIdFromPrivateKey(eve).toString()
const id = '0123456789abcdef0123456789abcdef'

describe('sealed direct messages', () => {
  it('only the recipient opens it, and learns who sent it', () => {
    const env = sealEnvelope(alice, A, B, { id, ts: 1, body: 'secret plan' })
    expect(JSON.stringify(env)).not.toContain('secret plan')
    expect(new TextDecoder().decode(fromBase64Url(env.sealed))).not.toContain('secret')
    expect(openEnvelope(bob, B, env)).toEqual({ from: A, id, ts: 1, body: 'secret plan' })
    expect(() => openEnvelope(eve, E, env)).toThrow(/does not match the mailbox/)
    expect(() => openEnvelope(eve, B, env)).toThrow(/does not open/)
  })

  it('the edge can check the sender signature without reading the content', () => {
    const env = sealEnvelope(alice, A, B, { id, ts: 1, body: 'x' })
    expect(parseEnvelope(JSON.parse(JSON.stringify(env)), B).from).toBe(A)
    expect(() => parseEnvelope({ ...env, from: E }, B)).toThrow(/signature/)
    expect(() => parseEnvelope({ ...env, ts: 2 }, B)).toThrow(/signature/)
    const other = sealEnvelope(alice, A, B, { id, ts: 1, body: 'y' })
    expect(() => parseEnvelope({ ...env, sealed: other.sealed }, B)).toThrow(/signature/)
    expect(() => parseEnvelope({ ...env, id: 'zz' }, B)).toThrow(/id/)
    expect(() => parseEnvelope('nope', B)).toThrow(/object/)
  })

  it('a sealed blob re-signed by someone else does not open as theirs', () => {
    const env = sealEnvelope(alice, A, B, { id, ts: 1, body: 'from alice' })
    const resigned = sealEnvelope(eve, E, B, { id, ts: 1, body: 'ignored' })
    // eve takes alice's sealed bytes and signs them as her own
    const forged = { ...resigned, sealed: env.sealed }
    const { sig: _, ...unsigned } = forged
    forged.sig = signWith(seedOf(eve), envelopeSigningBytes(unsigned))
    expect(() => openEnvelope(bob, B, forged)).toThrow(/does not match its envelope/)
  })

  it('fetch/ack requests must be signed by the mailbox owner, recently', () => {
    const now = 1_000_000
    const sig = signWith(seedOf(bob), requestSigningBytes('fetch', B, now))
    expect(() => checkSignedRequest('fetch', B, { ts: now, sig }, '', now)).not.toThrow()
    expect(() => checkSignedRequest('fetch', A, { ts: now, sig }, '', now)).toThrow(/signed by/)
    expect(() => checkSignedRequest('ack', B, { ts: now, sig }, '', now)).toThrow(/signed by/)
    expect(() => checkSignedRequest('fetch', B, { ts: now, sig }, '', now + 10 * 60_000)).toThrow(/clock/)
    expect(() => checkSignedRequest('fetch', B, {}, '', now)).toThrow(/needs ts/)
  })

  it('base64url round-trips', () => {
    const b = crypto.getRandomValues(new Uint8Array(100))
    expect(fromBase64Url(toBase64Url(b))).toEqual(b)
  })
})

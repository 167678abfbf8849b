import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import {
  AuthStatus,
  answerChallenge,
  challengePeer,
  computeAuthProof,
  createAuthNonce,
  importNetworkKey,
  verifyAuthProof,
} from './auth.ts'

async function peerId() {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('auth proof', () => {
  it('verifies only with the same key, nonce and peer IDs', async () => {
    const [relay, peer, other] = [await peerId(), await peerId(), await peerId()]
    const key = await importNetworkKey('correct horse')
    const nonce = createAuthNonce()
    expect(nonce.byteLength).toBe(32)
    const proof = await computeAuthProof(key, nonce, relay, peer)
    expect(proof.byteLength).toBe(32)
    expect(await verifyAuthProof(key, nonce, relay, peer, proof)).toBe(true)
    expect(await verifyAuthProof(await importNetworkKey('wrong'), nonce, relay, peer, proof)).toBe(false)
    expect(await verifyAuthProof(key, createAuthNonce(), relay, peer, proof)).toBe(false)
    expect(await verifyAuthProof(key, nonce, other, peer, proof)).toBe(false)
    expect(await verifyAuthProof(key, nonce, relay, other, proof)).toBe(false)
    expect(await verifyAuthProof(key, nonce, relay, peer, proof.subarray(1))).toBe(false)
  })

  it('known answer: HMAC-SHA-256 over nonce ‖ relay ‖ peer', async () => {
    const [relay, peer] = [await peerId(), await peerId()]
    const nonce = new Uint8Array(32).fill(7)
    const raw = new TextEncoder().encode('k')
    const hmac = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const msg = new Uint8Array([...nonce, ...relay.toMultihash().bytes, ...peer.toMultihash().bytes])
    const expected = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, msg))
    expect(await computeAuthProof(await importNetworkKey('k'), nonce, relay, peer)).toEqual(expected)
  })
})

describe('auth exchange over a stream', () => {
  async function run(relayKey: string, peerKey: string) {
    const [relay, peer] = [await peerId(), await peerId()]
    const [outbound, inbound] = await streamPair()
    const [relayStatus, peerStatus] = await Promise.all([
      challengePeer(outbound, { key: await importNetworkKey(relayKey), self: relay, remote: peer }),
      answerChallenge(inbound, { key: await importNetworkKey(peerKey), self: peer, remote: relay }),
    ])
    return { relayStatus, peerStatus }
  }

  it('grants a peer holding the key', async () => {
    expect(await run('net', 'net')).toEqual({ relayStatus: AuthStatus.OK, peerStatus: AuthStatus.OK })
  })

  it('denies a peer with another key, with a status code', async () => {
    expect(await run('net', 'other')).toEqual({
      relayStatus: AuthStatus.PERMISSION_DENIED,
      peerStatus: AuthStatus.PERMISSION_DENIED,
    })
  })

  it('answers MALFORMED when the peer closes before sending a full proof', async () => {
    const [relay, peer] = [await peerId(), await peerId()]
    const [outbound, inbound] = await streamPair()
    const relaySide = challengePeer(outbound, {
      key: await importNetworkKey('net'),
      self: relay,
      remote: peer,
    })
    inbound.send(new Uint8Array(5))
    await inbound.close()
    const status = await relaySide.catch(() => 'threw')
    expect([AuthStatus.MALFORMED, 'threw']).toContain(status)
  })
})

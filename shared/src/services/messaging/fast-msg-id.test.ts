import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { RPC } from '@libp2p/gossipsub/message'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { fastMsgId } from './fast-msg-id.ts'
import { gossipOptions } from './gossip-options.ts'

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

describe('contract: @libp2p/gossipsub 17 with our fast message ID', () => {
  /** A signed RPC message as GossipSub builds one (signature over "libp2p-pubsub:" ‖ the message). */
  async function signedRpc(key: PrivateKey, seqno: number, data: Uint8Array) {
    const msg: RPC.Message = {
      from: peerIdFromPrivateKey(key).toMultihash().bytes,
      data,
      seqno: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, seqno),
      topic: 'chat',
    }
    const bytes = new Uint8Array([...new TextEncoder().encode('libp2p-pubsub:'), ...RPC.Message.encode(msg)])
    return { ...msg, signature: await key.sign(bytes) }
  }

  async function router() {
    const privateKey = await generateKeyPair('Ed25519')
    const components = { logger: defaultLogger(), peerId: peerIdFromPrivateKey(privateKey), privateKey }
    const gs = gossipsub(gossipOptions())(components as never) as unknown as {
      validateReceivedMessage: (from: PeerId, rpc: RPC.Message) => Promise<{ code: string }>
    }
    return gs
  }

  it('a copy of an accepted message is a duplicate before its signature is checked; forgeries are still verified', async () => {
    const gs = await router()
    const author = await generateKeyPair('Ed25519')
    const from = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const genuine = await signedRpc(author, 1, bytes(1, 2, 3))
    // a forgery arriving first is verified and rejected, and does not make the genuine one a duplicate
    const forgedFirst = { ...genuine, signature: new Uint8Array(64) }
    expect((await gs.validateReceivedMessage(from, forgedFirst)).code).toBe('invalid')
    expect((await gs.validateReceivedMessage(from, genuine)).code).toBe('valid')
    expect((await gs.validateReceivedMessage(from, { ...genuine })).code).toBe('duplicate')
    // same author, seqno and signature, other data: taken for a copy without a signature check
    expect((await gs.validateReceivedMessage(from, { ...genuine, data: bytes(9) })).code).toBe('duplicate')
    // another signature is another fast ID: verified (and, under StrictSign's ID, a duplicate at most)
    const otherSig = { ...genuine, signature: new Uint8Array(64).fill(1) }
    expect((await gs.validateReceivedMessage(from, otherSig)).code).toBe('invalid')
  })
})

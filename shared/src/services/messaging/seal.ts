/**
 * Sealing a direct message for one recipient (ECIES over the recipients's libp2p identity):
 * the recipient's Ed25519 public key (inside its peer ID) is converted to X25519; a fresh ephemeral
 * X25519 key agrees a secret with it; HKDF-SHA-256 (salt = ephemeral public ‖ recipient X25519 public,
 * info `edgeswarm/mailbox/1`) derives a one-time XChaCha20-Poly1305 key. Sealed bytes are
 * `ephemeral public (32) ‖ nonce (24) ‖ ciphertext`. The plaintext repeats from, to and id, so a
 * sealed blob re-signed by someone else (or moved to another mailbox) does not open as theirs.
 * The envelope around it is signed by the sender (protocol/mailbox.ts), so the recipient knows who
 * wrote it and the edge can enforce per-sender quotas without reading anything.
 *
 * @example
 * ```ts
 * const env = sealEnvelope(aliceKey, bobPeerId, { id, ts: Date.now(), body: 'hi' })
 * openEnvelope(bobKey, bobPeerId, env).body // 'hi'
 * ```
 */
import type { PrivateKey } from '@libp2p/interface'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { InvalidMessageError } from '../../errors.ts'
import {
  ed25519KeyOf,
  envelopeSigningBytes,
  fromBase64Url,
  type MailboxEnvelope,
  parseEnvelope,
  signWith,
  toBase64Url,
} from '../../protocol/mailbox.ts'

export interface Letter {
  id: string
  ts: number
  body: string
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const INFO = enc.encode('edgeswarm/mailbox/1')

/** The 32-byte Ed25519 seed of a libp2p Ed25519 private key (its `raw` is seed ‖ public key). */
export function seedOf(key: PrivateKey): Uint8Array {
  if (key.type !== 'Ed25519') throw new InvalidMessageError('direct messages need an Ed25519 identity')
  return key.raw.subarray(0, 32)
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const keyFor = (shared: Uint8Array, ephPub: Uint8Array, recipientX: Uint8Array) =>
  hkdf(sha256, shared, concat(ephPub, recipientX), INFO, 32)

export function seal(from: string, to: string, letter: Letter): Uint8Array {
  const recipientX = ed25519.utils.toMontgomery(ed25519KeyOf(to))
  const eph = x25519.keygen()
  const key = keyFor(x25519.getSharedSecret(eph.secretKey, recipientX), eph.publicKey, recipientX)
  const nonce = crypto.getRandomValues(new Uint8Array(24))
  const plain = enc.encode(JSON.stringify({ from, to, id: letter.id, ts: letter.ts, body: letter.body }))
  return concat(eph.publicKey, nonce, xchacha20poly1305(key, nonce).encrypt(plain))
}

export function unseal(recipient: PrivateKey, sealed: Uint8Array): { from: string; to: string } & Letter {
  if (sealed.length < 32 + 24 + 16) throw new InvalidMessageError('sealed message too short')
  const secret = ed25519.utils.toMontgomerySecret(seedOf(recipient))
  const recipientX = x25519.getPublicKey(secret)
  const ephPub = sealed.subarray(0, 32)
  const key = keyFor(x25519.getSharedSecret(secret, ephPub), ephPub, recipientX)
  let plain: Uint8Array
  try {
    plain = xchacha20poly1305(key, sealed.subarray(32, 56)).decrypt(sealed.subarray(56))
  } catch {
    throw new InvalidMessageError('sealed message does not open with this key')
  }
  const v = JSON.parse(dec.decode(plain)) as {
    from: string
    to: string
    id: string
    ts: number
    body: string
  }
  if (typeof v.body !== 'string' || typeof v.id !== 'string')
    throw new InvalidMessageError('sealed message is malformed')
  return v
}

/** Seals `letter` for `to` and signs the envelope with the sender's key. */
export function sealEnvelope(sender: PrivateKey, from: string, to: string, letter: Letter): MailboxEnvelope {
  const sealed = toBase64Url(seal(from, to, letter))
  const unsigned = { v: 1 as const, to, from, id: letter.id, ts: letter.ts, sealed }
  return { ...unsigned, sig: signWith(seedOf(sender), envelopeSigningBytes(unsigned)) }
}

/**
 * Verifies the sender's signature, opens the seal and checks that the inside agrees with the outside.
 * Throws InvalidMessageError (or the parse errors) for anything else.
 */
export function openEnvelope(recipient: PrivateKey, self: string, raw: unknown): { from: string } & Letter {
  let env: MailboxEnvelope
  try {
    env = parseEnvelope(raw, self)
  } catch (err) {
    throw new InvalidMessageError(`envelope rejected: ${(err as Error).message}`)
  }
  const inner = unseal(recipient, fromBase64Url(env.sealed))
  if (inner.from !== env.from || inner.to !== self || inner.id !== env.id) {
    throw new InvalidMessageError('sealed message does not match its envelope')
  }
  return { from: env.from, id: env.id, ts: inner.ts, body: inner.body }
}

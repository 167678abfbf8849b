/**
 * The edge mailbox's wire format (docs/PROTOCOLS.md "Mailbox"), shared by the Worker, which checks it,
 * and the peers, which write and read it. Runtime-neutral: noble Ed25519, no WebCrypto subtleties.
 *
 * An envelope is what the edge stores: recipient, sender, a sender-chosen ID, the sender's clock, the
 * sealed bytes (only the recipient can open them: seal.ts) and the sender's Ed25519 signature over
 * all of it. The edge verifies the signature (per-sender quotas mean something only if the sender is
 * who it claims), never the content. Fetch and ack requests are signed by the recipient over the path
 * and a timestamp within `DEFAULT_MAILBOX_SIGNATURE_SKEW_MS`.
 */

import { peerIdFromString } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { MAX_MAILBOX_SEALED_BYTES } from '../constants.ts'
import { DEFAULT_MAILBOX_SIGNATURE_SKEW_MS } from '../defaults.ts'
import { InvalidInputError, UnauthorizedError } from '../errors.ts'

export interface MailboxEnvelope {
  v: 1
  to: string
  from: string
  /** 16 random bytes, hex: the recipient keeps each ID once. */
  id: string
  /** Sender's clock (ms since epoch). */
  ts: number
  /** base64url of the sealed bytes. */
  sealed: string
  /** base64url Ed25519 signature by `from` over `envelopeSigningBytes`. */
  sig: string
}

/** One stored message as a fetch returns it: the edge's sequence number (its order) and the envelope. */
export interface MailboxItem {
  seq: number
  envelope: MailboxEnvelope
}

export interface SignedRequest {
  ts: number
  sig: string
}

const enc = new TextEncoder()
const ID_PATTERN = /^[0-9a-f]{32}$/
const B64URL = /^[A-Za-z0-9_-]*$/

export function toBase64Url(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function fromBase64Url(text: string): Uint8Array {
  if (!B64URL.test(text)) throw new InvalidInputError('not base64url')
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  return Uint8Array.from(s, (c) => c.charCodeAt(0))
}

/** The Ed25519 public key inside an Ed25519 peer ID; InvalidInputError for anything else. */
export function ed25519KeyOf(peerId: string): Uint8Array {
  let key: { type: string; raw: Uint8Array } | undefined
  try {
    key = peerIdFromString(peerId).publicKey as { type: string; raw: Uint8Array } | undefined
  } catch {
    throw new InvalidInputError(`not a peer ID: ${JSON.stringify(peerId.slice(0, 80))}`)
  }
  if (key?.type !== 'Ed25519') throw new InvalidInputError(`peer ID ${peerId} has no Ed25519 key in it`)
  return key.raw
}

export function envelopeSigningBytes(e: Omit<MailboxEnvelope, 'sig'>): Uint8Array {
  const head = enc.encode(`edgeswarm-mailbox-v1\n${e.from}\n${e.to}\n${e.id}\n${e.ts}\n`)
  const digest = sha256(fromBase64Url(e.sealed))
  const out = new Uint8Array(head.length + digest.length)
  out.set(head)
  out.set(digest, head.length)
  return out
}

export const requestSigningBytes = (action: 'fetch' | 'ack', peerId: string, ts: number, extra = '') =>
  enc.encode(`edgeswarm-mailbox-${action}\n${peerId}\n${ts}\n${extra}`)

/** Signs with an Ed25519 seed (the first 32 bytes of a libp2p Ed25519 private key's `raw`). */
export const signWith = (seed: Uint8Array, bytes: Uint8Array) => toBase64Url(ed25519.sign(bytes, seed))

function verify(peerId: string, bytes: Uint8Array, sig: string): boolean {
  try {
    return ed25519.verify(fromBase64Url(sig), bytes, ed25519KeyOf(peerId))
  } catch {
    return false
  }
}

/** Checks an envelope's shape and its sender's signature; InvalidInputError / UnauthorizedError. */
export function parseEnvelope(v: unknown, to?: string): MailboxEnvelope {
  const e = v as Partial<MailboxEnvelope>
  if (typeof e !== 'object' || e === null) throw new InvalidInputError('envelope must be a JSON object')
  if (e.v !== 1) throw new InvalidInputError('envelope.v must be 1')
  for (const k of ['to', 'from', 'id', 'sealed', 'sig'] as const) {
    if (typeof e[k] !== 'string') throw new InvalidInputError(`envelope.${k} must be a string`)
  }
  if (!ID_PATTERN.test(e.id!)) throw new InvalidInputError('envelope.id must be 32 hex digits')
  if (typeof e.ts !== 'number' || !Number.isSafeInteger(e.ts))
    throw new InvalidInputError('envelope.ts must be an integer')
  if (to !== undefined && e.to !== to) throw new InvalidInputError('envelope.to does not match the mailbox')
  ed25519KeyOf(e.to!)
  ed25519KeyOf(e.from!)
  if (!B64URL.test(e.sealed!) || (e.sealed!.length * 3) / 4 > MAX_MAILBOX_SEALED_BYTES) {
    throw new InvalidInputError(
      `envelope.sealed must be base64url of at most ${MAX_MAILBOX_SEALED_BYTES} bytes`,
    )
  }
  const env = { v: 1, to: e.to!, from: e.from!, id: e.id!, ts: e.ts, sealed: e.sealed!, sig: e.sig! } as const
  if (!verify(env.from, envelopeSigningBytes(env), env.sig)) {
    throw new UnauthorizedError('envelope signature does not verify against envelope.from')
  }
  return env
}

/** Checks a recipient's signed fetch/ack request: signature by `peerId`, clock within the skew. */
export function checkSignedRequest(
  action: 'fetch' | 'ack',
  peerId: string,
  req: Partial<SignedRequest>,
  extra = '',
  now = Date.now(),
): void {
  if (typeof req.ts !== 'number' || typeof req.sig !== 'string') {
    throw new InvalidInputError('a mailbox request needs ts (number) and sig (string)')
  }
  if (Math.abs(now - req.ts) > DEFAULT_MAILBOX_SIGNATURE_SKEW_MS) {
    throw new UnauthorizedError(
      `request ts is more than ${DEFAULT_MAILBOX_SIGNATURE_SKEW_MS} ms off the edge's clock`,
    )
  }
  if (!verify(peerId, requestSigningBytes(action, peerId, req.ts, extra), req.sig)) {
    throw new UnauthorizedError(`mailbox ${action} must be signed by ${peerId}`)
  }
}

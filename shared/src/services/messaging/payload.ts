/**
 * The bytes of one pub/sub message: UTF-8 JSON `{"v":1,"t":<ms>,"body":"<text>"}`. In a private
 * network the JSON is sealed with XChaCha20-Poly1305 under a key derived from the network key and the
 * topic (HKDF-SHA-256), `nonce(24) ‖ ciphertext`: a stranger without the key can neither read a topic
 * nor write to it (its messages fail to open, are rejected and count against its peer score).
 *
 * @example
 * ```ts
 * const codec = payloadCodec(undefined)
 * const bytes = codec.encode('chat', { t: Date.now(), body: 'hi' })
 * codec.decode('chat', bytes).body // 'hi'
 * ```
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { InvalidMessageError } from '../../errors.ts'

export interface Payload {
  /** Author's clock at publish (ms since epoch). */
  t: number
  body: string
}

export interface PayloadCodec {
  encode: (topic: string, p: Payload) => Uint8Array
  /** Throws InvalidMessageError (message: `malformed` or `unsealable`) for bytes that are not a payload. */
  decode: (topic: string, bytes: Uint8Array) => Payload
}

const NONCE_BYTES = 24
const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function parse(bytes: Uint8Array): Payload {
  let v: unknown
  try {
    v = JSON.parse(dec.decode(bytes))
  } catch {
    throw new InvalidMessageError('malformed')
  }
  const o = v as { v?: unknown; t?: unknown; body?: unknown }
  if (
    typeof o !== 'object' ||
    o === null ||
    o.v !== 1 ||
    typeof o.t !== 'number' ||
    !Number.isFinite(o.t) ||
    typeof o.body !== 'string'
  ) {
    throw new InvalidMessageError('malformed')
  }
  return { t: o.t, body: o.body }
}

const serialise = (p: Payload) => enc.encode(JSON.stringify({ v: 1, t: p.t, body: p.body }))

/** The codec for a network: plain JSON when `networkKey` is undefined, sealed otherwise. */
export function payloadCodec(networkKey: string | undefined): PayloadCodec {
  if (networkKey === undefined) return { encode: (_t, p) => serialise(p), decode: (_t, b) => parse(b) }
  const keys = new Map<string, Uint8Array>()
  const keyFor = (topic: string) => {
    let k = keys.get(topic)
    if (k === undefined) {
      k = hkdf(sha256, enc.encode(networkKey), enc.encode('edgeswarm/pubsub/1'), enc.encode(topic), 32)
      keys.set(topic, k)
    }
    return k
  }
  return {
    encode: (topic, p) => {
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES))
      const sealed = xchacha20poly1305(keyFor(topic), nonce).encrypt(serialise(p))
      const out = new Uint8Array(NONCE_BYTES + sealed.length)
      out.set(nonce)
      out.set(sealed, NONCE_BYTES)
      return out
    },
    decode: (topic, bytes) => {
      if (bytes.length <= NONCE_BYTES + 16) throw new InvalidMessageError('unsealable')
      let plain: Uint8Array
      try {
        plain = xchacha20poly1305(keyFor(topic), bytes.subarray(0, NONCE_BYTES)).decrypt(
          bytes.subarray(NONCE_BYTES),
        )
      } catch {
        throw new InvalidMessageError('unsealable')
      }
      return parse(plain)
    },
  }
}

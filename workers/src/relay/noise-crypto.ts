/**
 * Noise crypto for workerd: the pure-JS suite from @chainsafe/libp2p-noise, with ChaCha20-Poly1305
 * done by workerd's native `node:crypto` (nodejs_compat). workerd allows one `update()` per AEAD
 * operation, so a multi-part message is joined first and processed in one call; measured ~2x relay
 * throughput over pure JS (docs/NOTES.md, "js-libp2p inside a Durable Object").
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { type ICryptoInterface, pureJsCrypto } from '@chainsafe/libp2p-noise'
import type { Uint8ArrayList } from 'uint8arraylist'

const TAG_BYTES = 16

function concat(parts: Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((p) => p.byteLength > 0)
  if (nonEmpty.length === 1) return nonEmpty[0]!
  const out = new Uint8Array(nonEmpty.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of nonEmpty) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

function flat(data: Uint8Array | Uint8ArrayList): Uint8Array {
  return data instanceof Uint8Array ? data : data.subarray()
}

export const workerdNoiseCrypto: ICryptoInterface = {
  ...pureJsCrypto,
  chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
    const input = flat(plaintext)
    const cipher = createCipheriv('chacha20-poly1305', k, nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: input.byteLength })
    const body = cipher.update(input)
    const final = cipher.final()
    const tag = cipher.getAuthTag()
    return concat([body, final, tag])
  },
  chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k) {
    const input = flat(ciphertext)
    const body = input.subarray(0, input.byteLength - TAG_BYTES)
    const decipher = createDecipheriv('chacha20-poly1305', k, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(ad, { plaintextLength: body.byteLength })
    decipher.setAuthTag(input.subarray(input.byteLength - TAG_BYTES))
    const out = decipher.update(body)
    const final = decipher.final()
    return concat([out, final])
  },
}

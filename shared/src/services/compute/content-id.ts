/**
 * Content identifiers compute uses on its own: the module's raw SHA-256 CIDv1 (what a worker checks
 * the bytes it fetched against, whichever way they came), the well-known CID workers provide, and
 * result digests.
 */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { COMPUTE_WORKERS_KEY } from '../../constants.ts'

export async function rawCid(bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString()
}

/** The CID workers `provide()` and coordinators look up: raw SHA-256 of COMPUTE_WORKERS_KEY. */
export function workersCid(): Promise<string> {
  return rawCid(new TextEncoder().encode(COMPUTE_WORKERS_KEY))
}

/**
 * Hex SHA-256 of a result. Through multiformats' hasher: synchronous `node:crypto` in Node, WebCrypto
 * in the page. WebCrypto in Node costs a thread-pool job and several promises per call, which was a
 * fifth of a coordinator's CPU per task.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = (await sha256.digest(bytes)).digest
  let out = ''
  for (const b of d) out += b.toString(16).padStart(2, '0')
  return out
}

const BASE64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
const PAD = 0x3d // '='
const ascii = new TextDecoder()

/**
 * Standard base64 with padding (what `atob` reads). Written out through a table: building `btoa`'s
 * binary string with `String.fromCharCode(...bytes)` cost 8 times as much, and a coordinator encodes
 * every verified output it persists.
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4)
  let o = 0
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out[o++] = BASE64[n >> 18]!
    out[o++] = BASE64[(n >> 12) & 63]!
    out[o++] = BASE64[(n >> 6) & 63]!
    out[o++] = BASE64[n & 63]!
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8)
    out[o++] = BASE64[n >> 18]!
    out[o++] = BASE64[(n >> 12) & 63]!
    out[o++] = i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : PAD
    out[o++] = PAD
  }
  return ascii.decode(out)
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

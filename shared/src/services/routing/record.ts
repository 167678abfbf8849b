/**
 * Signed provider announcements: only a peer itself can tell the edge that it provides something.
 *
 * The record is JSON `{ peer, cids, addrs, ts, ttl }` (UTF-8), signed with the peer's libp2p key over
 * `ROUTING_RECORD_DOMAIN || record`. The edge recovers the public key from the peer ID (Ed25519 and
 * secp256k1 IDs embed it; RSA IDs do not and are refused), checks the signature, the timestamp (within
 * the clock skew: a captured record replays for minutes, not forever) and every field's bounds.
 * Wire form (the body of `POST /v1/routing/announce`): `{ "record": "<base64url>", "signature": "<base64url>" }`.
 *
 * @example
 * ```ts
 * const body = await signRecord(privateKey, { cids: [cid], addrs, ttl: 7200 })
 * const rec = await verifyRecord(body, Date.now()) // throws InvalidRecordError / InvalidInputError
 * ```
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { fromString as fromText, toString as toText } from 'uint8arrays'
import {
  MAX_ROUTING_ADDR_CHARS,
  MAX_ROUTING_RECORD_ADDRS,
  MAX_ROUTING_RECORD_BYTES,
  MAX_ROUTING_RECORD_CIDS,
  ROUTING_RECORD_DOMAIN,
} from '../../constants.ts'
import { DEFAULT_ROUTING_CLOCK_SKEW_MS, MAX_ROUTING_RECORD_TTL_SECONDS } from '../../defaults.ts'
import { InvalidInputError, InvalidRecordError } from '../../errors.ts'
import { parseCid, parsePeerId } from './keys.ts'

export interface SignedRecord {
  record: string
  signature: string
}

export interface ProviderRecord {
  /** Canonical peer ID string of the announcer. */
  peer: string
  /** CIDv1 strings. */
  cids: string[]
  /** Index keys of `cids` (multihash, base58btc), same order. */
  keys: string[]
  addrs: string[]
  /** Signing time (ms since the epoch). */
  ts: number
  /** Lifetime asked for (s). */
  ttl: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function signedBytes(record: Uint8Array): Uint8Array {
  const domain = encoder.encode(ROUTING_RECORD_DOMAIN)
  const out = new Uint8Array(domain.byteLength + record.byteLength)
  out.set(domain)
  out.set(record, domain.byteLength)
  return out
}

export async function signRecord(
  key: PrivateKey,
  init: { cids: readonly string[]; addrs: readonly string[]; ttl: number; ts?: number },
): Promise<SignedRecord> {
  const body = {
    peer: peerIdFromPrivateKey(key).toString(),
    cids: [...init.cids],
    addrs: [...init.addrs].slice(0, MAX_ROUTING_RECORD_ADDRS),
    ts: init.ts ?? Date.now(),
    ttl: init.ttl,
  }
  const bytes = encoder.encode(JSON.stringify(body))
  const signature = await key.sign(signedBytes(bytes))
  return { record: toText(bytes, 'base64url'), signature: toText(signature, 'base64url') }
}

function decode64(value: unknown, what: string): Uint8Array {
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9_-]*$/.test(value) ||
    value.length > MAX_ROUTING_RECORD_BYTES
  ) {
    throw new InvalidInputError(`${what} must be a base64url string`)
  }
  return fromText(value, 'base64url')
}

function checkAddrs(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_ROUTING_RECORD_ADDRS) {
    throw new InvalidInputError(
      `record.addrs must be an array of at most ${MAX_ROUTING_RECORD_ADDRS} multiaddrs`,
    )
  }
  return value.map((a) => {
    if (typeof a !== 'string' || a.length > MAX_ROUTING_ADDR_CHARS) {
      throw new InvalidInputError(
        `record.addrs entries must be multiaddr strings of at most ${MAX_ROUTING_ADDR_CHARS} chars`,
      )
    }
    try {
      return multiaddr(a).toString()
    } catch {
      throw new InvalidInputError('record.addrs holds a malformed multiaddr')
    }
  })
}

/** Parses the wire form's shape and fields; no signature check (see verifyRecord). */
export function parseRecord(body: unknown): {
  fields: ProviderRecord
  bytes: Uint8Array
  signature: Uint8Array
} {
  if (typeof body !== 'object' || body === null) throw new InvalidInputError('body must be a JSON object')
  const { record, signature } = body as Record<string, unknown>
  const bytes = decode64(record, 'record')
  const sig = decode64(signature, 'signature')
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>
  } catch {
    throw new InvalidInputError('record must be base64url of a UTF-8 JSON object')
  }
  if (typeof raw !== 'object' || raw === null) throw new InvalidInputError('record must be a JSON object')
  const peer = parsePeerId(raw.peer).toString()
  if (!Array.isArray(raw.cids) || raw.cids.length > MAX_ROUTING_RECORD_CIDS) {
    throw new InvalidInputError(
      `record.cids must hold 0-${MAX_ROUTING_RECORD_CIDS} CIDs (0: a peer record only)`,
    )
  }
  const parsed = raw.cids.map((c) => parseCid(c))
  const ts = raw.ts
  const ttl = raw.ttl
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) {
    throw new InvalidInputError('record.ts must be milliseconds since the epoch')
  }
  if (
    typeof ttl !== 'number' ||
    !Number.isSafeInteger(ttl) ||
    ttl < 1 ||
    ttl > MAX_ROUTING_RECORD_TTL_SECONDS
  ) {
    throw new InvalidInputError(`record.ttl must be 1-${MAX_ROUTING_RECORD_TTL_SECONDS} seconds`)
  }
  const fields: ProviderRecord = {
    peer,
    cids: parsed.map((p) => p.text),
    keys: parsed.map((p) => p.key),
    addrs: checkAddrs(raw.addrs),
    ts,
    ttl,
  }
  return { fields, bytes, signature: sig }
}

/** Parses and verifies a signed record: the peer's own key signed it, recently. */
export async function verifyRecord(
  body: unknown,
  now: number,
  skewMs = DEFAULT_ROUTING_CLOCK_SKEW_MS,
): Promise<ProviderRecord> {
  const { fields, bytes, signature } = parseRecord(body)
  const publicKey = parsePeerId(fields.peer).publicKey
  if (publicKey === undefined) {
    throw new InvalidRecordError(
      `peer ${fields.peer} does not embed its public key (use an Ed25519 identity)`,
    )
  }
  let ok = false
  try {
    ok = await publicKey.verify(signedBytes(bytes), signature)
  } catch {
    ok = false
  }
  if (!ok) throw new InvalidRecordError(`record signature does not verify for peer ${fields.peer}`)
  if (Math.abs(now - fields.ts) > skewMs) {
    throw new InvalidRecordError(`record timestamp is more than ${skewMs} ms from the edge's clock`)
  }
  return fields
}

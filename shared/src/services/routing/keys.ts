/**
 * Parsing of the routing keys that arrive from the network or a user: CIDs and peer IDs. One place, so
 * the edge, the CLI and the service refuse the same strings with the same sentence.
 *
 * @example
 * ```ts
 * parseCid('bafkrei...').key   // base58btc multihash: the index key (any CID version or codec matches)
 * parsePeerIdString('12D3KooW...') // canonical base58 form
 * ```
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { MAX_ROUTING_KEY_CHARS } from '../../constants.ts'
import { InvalidInputError } from '../../errors.ts'

export interface ParsedCid {
  cid: CID
  /** The CID as a CIDv1 string (base32). */
  text: string
  /** The index key: the multihash in base58btc, so a CIDv0 and its CIDv1 find the same providers. */
  key: string
}

function shown(value: string): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '?')
  return printable.length > 64 ? `${printable.slice(0, 61)}...` : printable
}

export function parseCid(value: unknown): ParsedCid {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ROUTING_KEY_CHARS) {
    throw new InvalidInputError(`cid must be a CID string of 1-${MAX_ROUTING_KEY_CHARS} characters`)
  }
  let cid: CID
  try {
    cid = CID.parse(value)
  } catch {
    throw new InvalidInputError(`cid ${shown(value)} is not a valid CID (expected e.g. bafy... or Qm...)`)
  }
  const v1 = cid.version === 0 ? cid.toV1() : cid
  return { cid: v1, text: v1.toString(), key: base58btc.encode(cid.multihash.bytes) }
}

/** A peer ID string (base58 `12D3KooW...`/`Qm...` or CIDv1 `bafz...`/`k51...`) to a PeerId. */
export function parsePeerId(value: unknown): PeerId {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ROUTING_KEY_CHARS) {
    throw new InvalidInputError(`peer ID must be a string of 1-${MAX_ROUTING_KEY_CHARS} characters`)
  }
  try {
    return peerIdFromString(value)
  } catch {
    throw new InvalidInputError(
      `peer ID ${shown(value)} is not a valid libp2p peer ID (expected 12D3KooW...)`,
    )
  }
}

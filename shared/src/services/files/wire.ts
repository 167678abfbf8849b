/**
 * `/edgeswarm/files/1.0.0` frames. One stream per (download, peer); every frame is length-prefixed
 * (unsigned varint, at most FILES_MAX_FRAME_BYTES) and starts with a type byte. The dialer sends
 * requests, the listener answers each one, in order, so requests can be pipelined without IDs:
 *
 * | type | direction | body |
 * |---|---|---|
 * | 1 HAVE_REQ | dialer → | root CID bytes: "which chunks of this DAG do you hold?" |
 * | 2 HAVE | ← listener | kind byte (0 none, 1 all, 2 bitmap) + bitmap over the DAG's leaves, in walk order |
 * | 3 WANT | dialer → | CID bytes of one block (leaf or structure) |
 * | 4 BLOCK | ← listener | varint CID length + CID bytes + block bytes |
 * | 5 DONT_HAVE | ← listener | CID bytes |
 * | 6 CANCEL | dialer → | CID bytes: "drop my queued WANT for this block" (endgame: another peer sent it);
 * |  |  | no answer of its own: the cancelled WANT is answered with DONT_HAVE, or with BLOCK if already sent |
 */
import { CID } from 'multiformats/cid'
import * as varint from 'uint8-varint'
import { concat } from 'uint8arrays/concat'
import { FILES_MAX_BLOCK_BYTES } from '../../constants.ts'
import { InvalidInputError } from '../../errors.ts'

export const HAVE_REQ = 1
export const HAVE = 2
export const WANT = 3
export const BLOCK = 4
export const DONT_HAVE = 5
export const CANCEL = 6

export type Frame =
  | { type: typeof HAVE_REQ; root: CID }
  | { type: typeof HAVE; kind: 'none' | 'all' | 'bitmap'; bitmap: Uint8Array }
  | { type: typeof WANT; cid: CID }
  | { type: typeof BLOCK; cid: CID; bytes: Uint8Array }
  | { type: typeof DONT_HAVE; cid: CID }
  | { type: typeof CANCEL; cid: CID }

const KINDS = ['none', 'all', 'bitmap'] as const

export function encodeFrame(f: Frame): Uint8Array {
  switch (f.type) {
    case HAVE_REQ:
      return concat([Uint8Array.of(HAVE_REQ), f.root.bytes])
    case HAVE:
      return concat([Uint8Array.of(HAVE, KINDS.indexOf(f.kind)), f.bitmap])
    case WANT:
      return concat([Uint8Array.of(WANT), f.cid.bytes])
    case BLOCK:
      return concat([Uint8Array.of(BLOCK), varint.encode(f.cid.bytes.byteLength), f.cid.bytes, f.bytes])
    case DONT_HAVE:
      return concat([Uint8Array.of(DONT_HAVE), f.cid.bytes])
    case CANCEL:
      return concat([Uint8Array.of(CANCEL), f.cid.bytes])
  }
}

function cidOf(bytes: Uint8Array): CID {
  try {
    return CID.decode(bytes)
  } catch {
    throw new InvalidInputError('files frame carries a malformed CID')
  }
}

/** Decodes one frame; anything malformed is an InvalidInputError (the peer is then dropped). */
export function decodeFrame(buf: Uint8Array): Frame {
  const type = buf[0]
  const body = buf.subarray(1)
  switch (type) {
    case HAVE_REQ:
      return { type, root: cidOf(body) }
    case HAVE: {
      const kind = KINDS[body[0] ?? -1]
      if (kind === undefined) throw new InvalidInputError('files HAVE frame has an unknown kind')
      return { type, kind, bitmap: body.subarray(1) }
    }
    case WANT:
      return { type, cid: cidOf(body) }
    case DONT_HAVE:
      return { type, cid: cidOf(body) }
    case CANCEL:
      return { type, cid: cidOf(body) }
    case BLOCK: {
      const len = varint.decode(body)
      const off = varint.encodingLength(len)
      if (len > 128 || off + len > body.byteLength)
        throw new InvalidInputError('files BLOCK frame is truncated')
      const bytes = body.subarray(off + len)
      if (bytes.byteLength > FILES_MAX_BLOCK_BYTES) throw new InvalidInputError('files BLOCK is too large')
      return { type, cid: cidOf(body.subarray(off, off + len)), bytes }
    }
    default:
      throw new InvalidInputError(`files frame has unknown type ${type}`)
  }
}

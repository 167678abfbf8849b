/**
 * The shape of a UnixFS DAG as the swarm download needs it: the structure blocks (dag-pb nodes, small,
 * fetched first) and the ordered list of raw leaves with the size each parent declares for them. The
 * leaf order is the have-map's index space, computed identically by every peer from the same root.
 *
 * Every size is checked as the walk goes: a file node's declared `filesize` must equal the sum of its
 * `blocksizes` (plus inline data), and every child must be exactly the size its parent declares, so a DAG
 * that lies about sizes (hashes fine, sizes not) is rejected before or while its bytes are fetched.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { IntegrityError, InvalidInputError, TooLargeError } from '../../errors.ts'

export const RAW_CODE = 0x55
export const DAG_PB_CODE = 0x70

export interface Leaf {
  cid: CID
  /** Size the parent declares (bytes); -1 for a root that is itself a raw block (size unknown until fetched). */
  size: number
}

export interface DagLayout {
  root: CID
  type: 'file' | 'directory'
  /** Every dag-pb block, root first. */
  structure: CID[]
  leaves: Leaf[]
  /** Bytes of file content the DAG declares (leaves plus inline data). */
  bytes: number
}

/** Fetches one block (verified) — from local storage or the swarm. */
export type BlockGetter = (cid: CID) => Promise<Uint8Array>

/** Reads protobuf field 3 (`filesize`) of a UnixFS Data message: ipfs-unixfs recomputes it instead. */
export function declaredFileSize(data: Uint8Array): number | undefined {
  let i = 0
  const varint = (): number => {
    let v = 0
    let mul = 1
    for (;;) {
      if (i >= data.length) throw new IntegrityError('truncated UnixFS data')
      const b = data[i++]!
      v += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return v
      mul *= 128
    }
  }
  let size: number | undefined
  while (i < data.length) {
    const key = varint()
    const wire = key & 7
    if (wire === 0) {
      const v = varint()
      if (key >> 3 === 3) size = v
    } else if (wire === 2) i += varint()
    else if (wire === 1) i += 8
    else if (wire === 5) i += 4
    else throw new IntegrityError(`UnixFS data has unknown wire type ${wire}`)
  }
  return size
}

/**
 * Walks the DAG from `root` with `get` (structure blocks only; leaves are listed, not fetched).
 * Throws IntegrityError on inconsistent sizes and TooLargeError past `maxBytes`.
 */
export async function walkDag(
  root: CID,
  get: BlockGetter,
  options: { maxBytes?: number } = {},
): Promise<DagLayout> {
  const layout: DagLayout = { root, type: 'file', structure: [], leaves: [], bytes: 0 }
  const visit = async (cid: CID, expected: number | undefined, isRoot: boolean): Promise<void> => {
    if (cid.code === RAW_CODE) {
      layout.leaves.push({ cid, size: expected ?? -1 })
      layout.bytes += Math.max(0, expected ?? 0)
      return
    }
    if (cid.code !== DAG_PB_CODE)
      throw new IntegrityError(`unsupported codec 0x${cid.code.toString(16)} in ${cid}`)
    layout.structure.push(cid)
    const node = dagPb.decode(await get(cid))
    if (node.Data === undefined) throw new IntegrityError(`${cid} has no UnixFS data`)
    const fs = UnixFS.unmarshal(node.Data)
    if (fs.type === 'directory' || fs.type === 'hamt-sharded-directory') {
      if (isRoot) layout.type = 'directory'
      if (expected !== undefined)
        throw new IntegrityError(`${cid} is a directory where a file chunk was declared`)
      // a raw child's Tsize is its exact size (checked when it arrives); a dag-pb child declares its own
      for (const link of node.Links)
        await visit(link.Hash, link.Hash.code === RAW_CODE ? link.Tsize : undefined, false)
      return
    }
    if (fs.type !== 'file' && fs.type !== 'raw') return // symlink / metadata: no content
    const inline = fs.data?.byteLength ?? 0
    const sizes = fs.blockSizes.map(Number)
    const sum = sizes.reduce((a, b) => a + b, inline)
    const declared = declaredFileSize(node.Data) ?? sum
    if (declared !== sum)
      throw new IntegrityError(`${cid} declares ${declared} bytes but its blocks sum to ${sum}`)
    if (expected !== undefined && expected !== declared)
      throw new IntegrityError(`${cid} holds ${declared} bytes where its parent declares ${expected}`)
    if (sizes.length !== node.Links.length)
      throw new IntegrityError(`${cid} has ${node.Links.length} links but ${sizes.length} block sizes`)
    layout.bytes += inline
    if (options.maxBytes !== undefined && layout.bytes + sum - inline > options.maxBytes)
      throw new TooLargeError(`${root} holds more than ${options.maxBytes} bytes`)
    for (let i = 0; i < node.Links.length; i++) await visit(node.Links[i]!.Hash, sizes[i]!, false)
  }
  await visit(root, undefined, true)
  if (options.maxBytes !== undefined && layout.bytes > options.maxBytes)
    throw new TooLargeError(`${root} holds ${layout.bytes} bytes, more than ${options.maxBytes}`)
  return layout
}

/** Parses a CID string a user or peer gave; only CIDs this service can verify (SHA-256) are accepted. */
export function parseCid(text: string): CID {
  let cid: CID
  try {
    cid = CID.parse(text.trim())
  } catch {
    throw new InvalidInputError(`not a CID: ${JSON.stringify(text.slice(0, 100))}`)
  }
  if (cid.multihash.code !== 0x12)
    throw new InvalidInputError(
      `${cid} uses multihash 0x${cid.multihash.code.toString(16)}; only sha2-256 is verified`,
    )
  return cid.toV1()
}

/** Blockstore helpers: interface-blockstore 7 streams a block's bytes; the files service wants whole blocks. */
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { concat } from 'uint8arrays/concat'

/** Reads a whole block. */
export async function readBlock(
  bs: Blockstore,
  cid: CID,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of bs.get(cid, options)) parts.push(p)
  return parts.length === 1 ? parts[0]! : concat(parts)
}

/** True when the block is stored locally. */
export async function hasBlock(bs: Blockstore, cid: CID): Promise<boolean> {
  return await bs.has(cid)
}

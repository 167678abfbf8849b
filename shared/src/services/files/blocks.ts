/** Blockstore helpers: interface-blockstore 7 streams a block's bytes; the files service wants whole blocks. */
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** Reads a whole block. */
export async function readBlock(
  bs: Blockstore,
  cid: CID,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let n = 0
  for await (const p of bs.get(cid, options)) {
    parts.push(p)
    n += p.byteLength
  }
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.byteLength
  }
  return out
}

/** True when the block is stored locally. */
export async function hasBlock(bs: Blockstore, cid: CID): Promise<boolean> {
  return await bs.has(cid)
}

import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { concat } from 'uint8arrays/concat'
import { equals } from 'uint8arrays/equals'
import { describe, expect, it } from 'vitest'
import { memoryKv } from '../../peer/storage.ts'
import { readBlock } from './blocks.ts'
import { walkDag } from './dag.ts'
import { importEntries } from './import.ts'
import { LEAF_BYTES, RefBlockstore } from './ref-blockstore.ts'

const MiB = 1024 * 1024

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** A "disk" of named files, read by range as the node's readFileRange does. */
function disk() {
  const files = new Map<string, Uint8Array>()
  const read = async (path: string, offset: number, length: number) => {
    const f = files.get(path)
    if (f === undefined) throw new Error(`ENOENT: ${path}`)
    if (offset + length > f.byteLength) throw new Error(`${path} is shorter than when it was shared`)
    return f.slice(offset, offset + length)
  }
  return { files, read }
}

/** Feeds `data` in odd-sized pieces, as a file stream does. */
function* pieces(data: Uint8Array, size = 65_537) {
  for (let i = 0; i < data.byteLength; i += size) yield data.subarray(i, i + size)
}

async function share(store: RefBlockstore, path: string, data: Uint8Array) {
  const t = store.track(path, pieces(data))
  const r = await importEntries([{ path: 'f.bin', content: t.content }], store)
  await t.commit(r.cid)
  return CID.parse(r.cid)
}

describe('RefBlockstore: shared files are referenced, not copied', () => {
  it('stores only the DAG structure; every leaf reads back from the original, verified', async () => {
    const inner = new MemoryBlockstore()
    const { files, read } = disk()
    const data = bytes(2 * MiB + 12_345, 1)
    files.set('/home/u/f.bin', data)
    const store = new RefBlockstore(inner, memoryKv(), read, () => {})
    const root = await share(store, '/home/u/f.bin', data)

    const dag = await walkDag(root, (c) => readBlock(store, c))
    expect(dag.leaves.length).toBe(3)
    expect(store.referenced).toBe(3)
    let innerBytes = 0
    for await (const { bytes: b } of inner.getAll()) for await (const p of b) innerBytes += p.byteLength
    expect(innerBytes).toBeLessThan(1024) // one dag-pb root, no file bytes

    const back: Uint8Array[] = []
    for (const leaf of dag.leaves) back.push(await readBlock(store, leaf.cid))
    expect(equals(concat(back), data)).toBe(true)
    expect(back[0]!.byteLength).toBe(LEAF_BYTES)
  })

  it('an edited or removed original answers "not found" for the chunks that changed, never wrong bytes', async () => {
    const { files, read } = disk()
    const data = bytes(3 * MiB, 2)
    files.set('/f', data)
    const stale: string[] = []
    const store = new RefBlockstore(new MemoryBlockstore(), memoryKv(), read, (_p, reason) =>
      stale.push(reason),
    )
    const root = await share(store, '/f', data)
    const { leaves } = await walkDag(root, (c) => readBlock(store, c))

    const edited = data.slice()
    edited[MiB + 5] = edited[MiB + 5]! ^ 0xff // chunk 1 changes, chunks 0 and 2 do not
    files.set('/f', edited)
    expect((await readBlock(store, leaves[0]!.cid)).byteLength).toBe(MiB)
    await expect(readBlock(store, leaves[1]!.cid)).rejects.toThrow(/not found/i)
    expect(stale.join()).toMatch(/changed since it was shared/)
    expect(await store.has(leaves[1]!.cid)).toBe(false)

    files.delete('/f')
    await expect(readBlock(store, leaves[2]!.cid)).rejects.toThrow(/not found/i)
    expect(stale.join()).toMatch(/ENOENT/)
  })

  it('the index survives a restart; forget() drops it; bytes arriving without a path are stored', async () => {
    const kv = memoryKv()
    const inner = new MemoryBlockstore()
    const { files, read } = disk()
    const data = bytes(MiB + 1, 3)
    files.set('/g', data)
    const first = new RefBlockstore(inner, kv, read, () => {})
    const root = await share(first, '/g', data)

    const again = new RefBlockstore(inner, kv, read, () => {})
    await again.load()
    const { leaves } = await walkDag(root, (c) => readBlock(again, c))
    expect(again.referenced).toBe(2)
    expect((await readBlock(again, leaves[1]!.cid)).byteLength).toBe(1)

    await again.forget(root.toString())
    const third = new RefBlockstore(inner, kv, read, () => {})
    await third.load()
    expect(third.referenced).toBe(0)

    // a downloaded block (no path) goes into the inner store as bytes
    const block = bytes(100, 4)
    const cid = CID.createV1(0x55, await sha256.digest(block))
    await third.put(cid, block)
    expect(await inner.has(cid)).toBe(true)
  })
})

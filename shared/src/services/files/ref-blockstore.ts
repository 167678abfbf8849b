/**
 * Sharing without copying: a file shared by its local path keeps its bytes where they are. Its raw
 * leaves (the 1 MiB chunks of the `unixfs-v1-2025` profile) are stored as references, "bytes
 * [offset, offset + length) of that file", and read back from the original when a peer asks; only the
 * DAG's structure blocks (a few KiB per GiB) go into the blockstore. A 10 GiB share costs 10 GiB once.
 *
 * Every read is verified against the leaf's CID (as every block is before it is served): an original
 * that was edited, truncated or removed after sharing answers "block not found" for the chunks that no
 * longer match, never wrong bytes. The runtime must offer `readRange` (the home node does, through
 * `PeerStorage.readFileRange`); without it, or for bytes that arrive without a path (downloads, the
 * page), blocks are stored as before.
 *
 * Index: one record per shared root in the service's kv (`refs/<cid>`: the path and each leaf's
 * digest, offset and length), loaded into memory at start.
 */
import type { AbortOptions } from '@libp2p/interface'
import { BaseBlockstore } from 'blockstore-core/base'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { fromString } from 'uint8arrays/from-string'
import { toString as hex } from 'uint8arrays/to-string'
import type { KvStore } from '../../peer/storage.ts'

const RAW = 0x55
const REFS = 'refs/'
/** The profile's chunk size: a leaf is exactly this many bytes of the file (the last one fewer). */
export const LEAF_BYTES = 1024 * 1024

export type ReadRange = (path: string, offset: number, length: number) => Promise<Uint8Array>

interface LeafRef {
  path: string
  offset: number
  length: number
}

interface RefRecord {
  path: string
  /** [sha-256 digest (hex), offset, length] per leaf. */
  leaves: Array<[string, number, number]>
}

export class RefBlockstore extends BaseBlockstore {
  readonly #inner: Blockstore
  readonly #kv: KvStore
  readonly #read: ReadRange
  readonly #refs = new Map<string, LeafRef>()
  /** Leaves of imports in progress: a `put` of one of these records a reference instead of bytes. */
  readonly #pending = new Map<string, LeafRef>()
  readonly #onStale: (path: string, reason: string) => void

  constructor(
    inner: Blockstore,
    kv: KvStore,
    read: ReadRange,
    onStale: (path: string, reason: string) => void,
  ) {
    super()
    this.#inner = inner
    this.#kv = kv
    this.#read = read
    this.#onStale = onStale
  }

  async load(): Promise<void> {
    for (const [, rec] of await this.#kv.list<RefRecord>(REFS)) {
      for (const [digest, offset, length] of rec.leaves)
        this.#refs.set(digest, { path: rec.path, offset, length })
    }
  }

  /** Leaves referenced from original files. */
  get referenced(): number {
    return this.#refs.size
  }

  /**
   * The bytes of `path`, re-cut into the profile's leaves and hashed on the way to the importer, so
   * each leaf the importer stores becomes a reference. `commit(root)` persists the index afterwards.
   */
  track(path: string, content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    const mine: Array<[string, number, number]> = []
    const pending = this.#pending
    const leaves = async function* () {
      let offset = 0
      for await (const piece of rechunk(content, LEAF_BYTES)) {
        const digest = hex((await sha256.digest(piece)).digest, 'base16')
        const ref = { path, offset, length: piece.byteLength }
        pending.set(digest, ref)
        mine.push([digest, offset, piece.byteLength])
        offset += piece.byteLength
        yield piece
      }
    }
    return {
      content: leaves(),
      /** Persists the index under the shared root (`n`: the file's place in a shared tree). */
      commit: async (root: string, n = 0) => {
        await this.#kv.put(`${REFS}${root}/${n}`, { path, leaves: mine } satisfies RefRecord)
        for (const [d] of mine) pending.delete(d)
      },
      abort: () => {
        for (const [d] of mine) if (!this.#refs.has(d)) pending.delete(d)
      },
    }
  }

  /** Forgets the index of a share that is gone (its leaves were deleted one by one before). */
  async forget(root: string): Promise<void> {
    for (const [key] of await this.#kv.list(`${REFS}${root}/`)) await this.#kv.delete(key)
  }

  override async put(
    cid: CID,
    bytes: Parameters<Blockstore['put']>[1],
    options?: AbortOptions,
  ): Promise<CID> {
    if (cid.code === RAW) {
      const digest = hex(cid.multihash.digest, 'base16')
      const ref = this.#pending.get(digest)
      if (ref !== undefined) {
        this.#refs.set(digest, ref)
        return cid
      }
    }
    await this.#inner.put(cid, bytes, options)
    return cid
  }

  override async has(cid: CID, options?: AbortOptions): Promise<boolean> {
    if (cid.code === RAW && this.#refs.has(hex(cid.multihash.digest, 'base16'))) return true
    return this.#inner.has(cid, options)
  }

  override async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    const digest = cid.code === RAW ? hex(cid.multihash.digest, 'base16') : undefined
    const ref = digest === undefined ? undefined : this.#refs.get(digest)
    if (ref !== undefined && digest !== undefined) {
      const bytes = await this.#read(ref.path, ref.offset, ref.length).catch((err: unknown) => {
        this.#onStale(ref.path, (err as Error).message)
        return undefined
      })
      if (bytes !== undefined && hex((await sha256.digest(bytes)).digest, 'base16') === digest) {
        yield bytes
        return
      }
      if (bytes !== undefined)
        this.#onStale(ref.path, `bytes at offset ${ref.offset} changed since it was shared`)
      this.#refs.delete(digest)
    }
    yield* this.#inner.get(cid, options)
  }

  override async delete(cid: CID, options?: AbortOptions): Promise<void> {
    if (cid.code === RAW) this.#refs.delete(hex(cid.multihash.digest, 'base16'))
    await this.#inner.delete(cid, options)
  }

  override async *getAll(options?: AbortOptions) {
    for (const [digest] of this.#refs) {
      const cid = CID.createV1(RAW, createDigest(sha256.code, fromString(digest, 'base16')))
      yield { cid, bytes: this.get(cid, options) }
    }
    yield* this.#inner.getAll(options)
  }
}

/** Pieces of exactly `size` bytes (the last one shorter), whatever sizes the source yields. */
async function* rechunk(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number) {
  let buf = new Uint8Array(size)
  let fill = 0
  for await (const chunk of source) {
    let at = 0
    while (at < chunk.byteLength) {
      const n = Math.min(size - fill, chunk.byteLength - at)
      buf.set(chunk.subarray(at, at + n), fill)
      fill += n
      at += n
      if (fill === size) {
        yield buf
        buf = new Uint8Array(size)
        fill = 0
      }
    }
  }
  if (fill > 0) yield buf.subarray(0, fill)
}

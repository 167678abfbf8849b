import * as dagPb from '@ipld/dag-pb'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { readBlock } from './blocks.ts'
import { DAG_PB_CODE, RAW_CODE, walkDag } from './dag.ts'
import { importBytes, importEntries } from './import.ts'
import { verifyBlock } from './verify.ts'
import { BLOCK, CANCEL, decodeFrame, encodeFrame, HAVE, WANT } from './wire.ts'

const MiB = 1024 * 1024
/** Deterministic content: byte i is (i * 31 + 7) mod 256. */
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)
const text = (s: string) => new TextEncoder().encode(s)

// CIDs of the unixfs-v1-2025 profile (ipfs-unixfs-importer 17.1.1, `profile: 'unixfs-v1-2025'`). The raw
// ones are also the well-known CIDs of these bytes (e.g. "hello world" and the empty block), and the
// first test recomputes one by hand from SHA-256.
const VECTORS: Array<[string, Uint8Array, string]> = [
  ['empty', new Uint8Array(0), 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'],
  ['"hello world"', text('hello world'), 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'],
  ['1 byte', pattern(1), 'bafkreigkgwdvr5wspzwpiutssn4xpj2i7wedshnwphhnu7ohx4pqaxxipe'],
  [
    'exactly 1 MiB (one raw leaf)',
    pattern(MiB),
    'bafkreiagw657w6bevibtqicrneldb2zg32crali3bcub5ed6yb2ezwfcqy',
  ],
  [
    '1 MiB + 1 (dag-pb root, 2 leaves)',
    pattern(MiB + 1),
    'bafybeidon4jwaruhu3izqvdmaft7grbvt5crriyc2yzkvyuocox565adwu',
  ],
  ['3 MiB + 5', pattern(3 * MiB + 5), 'bafybeigxnod5xjh3z2xptn6fcnet4h3ciyzgqkpzzyiz4wz53lnzd4ilbi'],
]

describe('content addressing (unixfs-v1-2025)', () => {
  it('a raw leaf CID is CIDv1(raw, sha2-256(bytes)), computed by hand', async () => {
    const bytes = text('hello world')
    const byHand = CID.createV1(RAW_CODE, createDigest(0x12, nobleSha256(bytes)))
    const { cid } = await importBytes(bytes, new MemoryBlockstore())
    expect(cid).toBe(byHand.toString())
    expect(byHand.toString()).toBe(VECTORS[1]![2])
  })

  it.each(VECTORS)('%s has the recorded CID', async (_name, bytes, want) => {
    const { cid, bytes: n } = await importBytes(bytes, new MemoryBlockstore())
    expect(cid).toBe(want)
    expect(n).toBe(bytes.byteLength)
  })

  it('chunks at 1 MiB into raw leaves under one dag-pb root with declared sizes', async () => {
    const bs = new MemoryBlockstore()
    const { cid } = await importBytes(pattern(3 * MiB + 5), bs)
    const root = CID.parse(cid)
    expect(root.code).toBe(DAG_PB_CODE)
    const layout = await walkDag(root, (c) => readBlock(bs, c))
    expect(layout.leaves.map((l) => l.size)).toEqual([MiB, MiB, MiB, 5])
    expect(layout.leaves.every((l) => l.cid.code === RAW_CODE && l.cid.version === 1)).toBe(true)
    expect(layout.bytes).toBe(3 * MiB + 5)
    for (const l of layout.leaves) expect(await verifyBlock(l.cid, await readBlock(bs, l.cid))).toBe(true)
  })

  it('a directory gets one CID and its files are listed in walk order', async () => {
    const bs = new MemoryBlockstore()
    const r = await importEntries(
      [
        { path: 'd/a.txt', content: [text('a')] },
        { path: 'd/b.bin', content: [pattern(2 * MiB)] },
      ],
      bs,
    )
    expect(r).toEqual({
      cid: 'bafybeic777m6v3f2l2itbdl7dhd6nbfj75c5rh3q4dfa24rzffnkrxz75q',
      bytes: 2 * MiB + 1,
      type: 'directory',
    })
    const layout = await walkDag(CID.parse(r.cid), (c) => readBlock(bs, c))
    expect(layout.type).toBe('directory')
    expect(layout.leaves.map((l) => l.size)).toEqual([1, MiB, MiB])
  })

  it('wraps several top-level files in a directory', async () => {
    const r = await importEntries(
      [
        { path: 'a.txt', content: [text('a')] },
        { path: 'b.txt', content: [text('b')] },
      ],
      new MemoryBlockstore(),
      { wrap: true },
    )
    expect(r.cid).toBe('bafybeicvqitnh4uzjovkitvr5s6dnhgfkffix4nhyxaumclgpdfyfsv6dm')
  })

  it('a block that does not hash to its CID fails verification', async () => {
    const bytes = pattern(1000)
    const cid = CID.createV1(RAW_CODE, await sha256.digest(bytes))
    expect(await verifyBlock(cid, bytes)).toBe(true)
    const bad = bytes.slice()
    bad[500]! ^= 1
    expect(await verifyBlock(cid, bad)).toBe(false)
  })
})

describe('DAG that lies about sizes', () => {
  const leaf = pattern(5)
  const leafCid = async () => CID.createV1(RAW_CODE, await sha256.digest(leaf))
  /** A file node whose UnixFS data is written by hand: Type=file, filesize, blocksizes. */
  const fileNode = async (filesize: number, blocksize: number) => {
    const data = Uint8Array.of(0x08, 0x02, 0x18, ...varint(filesize), 0x20, ...varint(blocksize))
    const bytes = dagPb.encode({ Data: data, Links: [{ Hash: await leafCid(), Tsize: 5 }] })
    const cid = CID.createV1(DAG_PB_CODE, await sha256.digest(bytes))
    return { cid, bytes }
  }
  const varint = (n: number) => {
    const out: number[] = []
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80)
      n = Math.floor(n / 128)
    }
    out.push(n)
    return out
  }

  it('a file node declaring more bytes than its blocks sum to is rejected', async () => {
    const node = await fileNode(999_999, 5)
    await expect(walkDag(node.cid, async () => node.bytes)).rejects.toMatchObject({ name: 'IntegrityError' })
  })

  it('a declared leaf size is recorded so that the real leaf is checked against it', async () => {
    const node = await fileNode(10, 10)
    const layout = await walkDag(node.cid, async () => node.bytes)
    expect(layout.leaves).toEqual([{ cid: await leafCid(), size: 10 }])
  })

  it('a DAG larger than maxBytes is refused before any leaf is fetched', async () => {
    const bs = new MemoryBlockstore()
    const { cid } = await importBytes(pattern(3 * MiB), bs)
    await expect(walkDag(CID.parse(cid), (c) => readBlock(bs, c), { maxBytes: MiB })).rejects.toMatchObject({
      name: 'TooLargeError',
    })
  })
})

describe('files wire frames', () => {
  it('round-trip and reject garbage', async () => {
    const cid = CID.createV1(RAW_CODE, await sha256.digest(text('x')))
    const frames = [
      { type: WANT, cid },
      { type: BLOCK, cid, bytes: text('x') },
      { type: HAVE, kind: 'bitmap', bitmap: Uint8Array.of(5) },
      { type: CANCEL, cid },
    ] as const
    for (const f of frames) expect(decodeFrame(encodeFrame(f))).toEqual(f)
    expect(() => decodeFrame(Uint8Array.of(9))).toThrow(/unknown type/)
    expect(() => decodeFrame(Uint8Array.of(BLOCK, 100, 1))).toThrow(/truncated/)
    expect(() => decodeFrame(Uint8Array.of(WANT, 1, 2, 3))).toThrow(/malformed CID/)
  })
})

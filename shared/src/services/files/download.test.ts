/**
 * The swarm download against in-memory streams served by the real listener: what happens when a
 * seeder's stream goes away at the wrong moment.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream, streamPair } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import { concat } from 'uint8arrays/concat'
import { equals } from 'uint8arrays/equals'
import { describe, expect, it } from 'vitest'
import { FILES_MAX_FRAME_BYTES } from '../../constants.ts'
import { readBlock } from './blocks.ts'
import { walkDag } from './dag.ts'
import { type Candidate, download } from './download.ts'
import { importBytes } from './import.ts'
import { filesHandler } from './server.ts'
import { BLOCK, decodeFrame, encodeFrame, HAVE, HAVE_REQ, WANT } from './wire.ts'

const MiB = 1024 * 1024
const SEEDER = 'seeder'

/** Bytes that differ in every chunk (no two 1 MiB leaves share a CID). */
function content(size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >>> 20) * 7 + (i >>> 8)) & 0xff
  return out
}

async function readAll(bs: MemoryBlockstore, layoutCids: CID[]): Promise<Uint8Array> {
  return concat(await Promise.all(layoutCids.map((cid) => readBlock(bs, cid))))
}

/**
 * A seeder's first stream answers HAVE_REQ and the root block, then closes while the downloader has no
 * request outstanding on it (a connection trimmed or a relay limit reached between requests).
 */
async function closingAfterRoot(stream: Stream, seederBs: MemoryBlockstore): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: FILES_MAX_FRAME_BYTES })
  for (;;) {
    const frame = decodeFrame((await lp.read()).subarray())
    if (frame.type === HAVE_REQ) {
      await lp.write(encodeFrame({ type: HAVE, kind: 'all', bitmap: new Uint8Array(0) }))
    } else if (frame.type === WANT) {
      await lp.write(
        encodeFrame({ type: BLOCK, cid: frame.cid, bytes: await readBlock(seederBs, frame.cid) }),
      )
      await stream.close()
      return
    }
  }
}

describe('download', () => {
  it.each([
    ['its stream closed between requests', false],
    // no routing and no connection: only the download's memory of the peer brings it back
    ['its connection closed too (no longer offered as a provider)', true],
  ])(
    'dials a seeder again when %s, and completes',
    async (_case, offeredOnce) => {
      const seederBs = new MemoryBlockstore()
      const bytes = content(3 * MiB + 1234)
      const root = CID.parse((await importBytes(bytes, seederBs)).cid)
      const serve = filesHandler({
        blockstore: seederBs,
        haveOf: async () => ({ kind: 'all', bitmap: new Uint8Array(0) }),
        events: () => {},
      })
      let opens = 0
      const open = async (): Promise<Stream> => {
        const [client, server] = await streamPair()
        opens++
        if (opens === 1) void closingAfterRoot(server, seederBs).catch(() => {})
        else void serve(server, { remotePeer: { toString: () => 'downloader' } })
        return client
      }
      let rounds = 0
      async function* providers(): AsyncIterable<Candidate> {
        if (offeredOnce && rounds++ > 0) return
        yield { peerId: SEEDER, addrs: [] }
      }
      const bs = new MemoryBlockstore()
      const result = await download(
        { self: 'downloader', blockstore: bs, open, providers, events: () => {} },
        root,
        { findTimeoutMs: 4_000 },
      )
      expect(result.bytes).toBe(bytes.byteLength)
      // the first stream died after the root; every chunk came over a stream opened after that
      expect(opens).toBeGreaterThanOrEqual(2)
      const layout = await walkDag(root, (cid) => readBlock(bs, cid))
      expect(
        equals(
          await readAll(
            bs,
            layout.leaves.map((l) => l.cid),
          ),
          bytes,
        ),
      ).toBe(true)
    },
    20_000,
  )
})

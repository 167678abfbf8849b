/**
 * The swarm download over real libp2p connections (TCP on 127.0.0.1, noise, yamux), many peers in one
 * process: a seeder killed mid-transfer, a seeder serving corrupted chunks, an interrupted download that
 * resumes, partial seeds, an unknown CID. Every assertion is on bytes that crossed a connection.
 */
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { FILES_MAX_FRAME_BYTES, FILES_PROTOCOL } from '#shared/constants.ts'
import { readBlock } from '#shared/services/files/blocks.ts'
import { importBytes } from '#shared/services/files/import.ts'
import {
  BLOCK,
  DONT_HAVE,
  decodeFrame,
  encodeFrame,
  HAVE,
  HAVE_REQ,
  WANT,
} from '#shared/services/files/wire.ts'
import { createFilesPeer, type FilesPeer, pseudoRandom } from '../helpers/files-peers.ts'
import { waitFor } from '../helpers/wait.ts'

const MiB = 1024 * 1024
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {})
})

async function peer(): Promise<FilesPeer> {
  const p = await createFilesPeer()
  cleanup.push(p.stop)
  return p
}

async function connect(a: FilesPeer | Libp2p, b: FilesPeer | Libp2p): Promise<void> {
  const na = 'node' in a ? a.node : a
  const nb = 'node' in b ? b.node : b
  await na.dial(nb.getMultiaddrs()[0]!)
}

/**
 * A peer that speaks the files protocol but flips one bit of every leaf it serves (structure blocks are
 * served intact, so it is only caught by the per-chunk check).
 */
async function corruptSeeder(data: Uint8Array): Promise<Libp2p> {
  const bs = new MemoryBlockstore()
  await importBytes(data, bs)
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
  await node.handle(
    FILES_PROTOCOL,
    async (stream) => {
      const lp = lpStream(stream, { maxDataLength: FILES_MAX_FRAME_BYTES, maxBufferSize: 64 * MiB })
      try {
        for (;;) {
          const f = decodeFrame((await lp.read()).subarray())
          if (f.type === HAVE_REQ)
            await lp.write(encodeFrame({ type: HAVE, kind: 'all', bitmap: new Uint8Array(0) }))
          if (f.type !== WANT) continue
          if (!(await bs.has(f.cid))) {
            await lp.write(encodeFrame({ type: DONT_HAVE, cid: f.cid }))
            continue
          }
          const bytes = (await readBlock(bs, f.cid)).slice()
          if (f.cid.code === 0x55) bytes[bytes.length >> 1]! ^= 0x01
          await lp.write(encodeFrame({ type: BLOCK, cid: f.cid, bytes }))
        }
      } catch {
        stream.abort(new Error('done'))
      }
    },
    { runOnLimitedConnection: true },
  )
  cleanup.push(async () => {
    await node.stop()
  })
  return node
}

describe('files: swarm download over libp2p', () => {
  it('one seeder, four simultaneous downloaders of 32 MiB: every copy matches', async () => {
    const data = pseudoRandom(32 * MiB, 3)
    const seed = await peer()
    const { cid } = await seed.files.share([{ path: 'big.bin', content: [data] }])
    const downloaders = await Promise.all([1, 2, 3, 4].map(() => peer()))
    for (const d of downloaders) await connect(d, seed)
    // the downloaders also know each other: partial seeds serve what they have verified
    for (let i = 0; i < downloaders.length; i++)
      for (let j = i + 1; j < downloaders.length; j++) await connect(downloaders[i]!, downloaders[j]!)
    const results = await Promise.all(downloaders.map((d) => d.files.get(cid)))
    for (const [i, d] of downloaders.entries()) {
      expect(results[i]!.bytes).toBe(data.byteLength)
      expect(sha(await d.files.getBytes(cid))).toBe(sha(data))
    }
    const fromPeers = results.flatMap((r) => r.peers).reduce((n, p) => n + p.chunks, 0)
    expect(fromPeers).toBe(4 * 32)
  })

  it('a seeder killed mid-transfer: the download completes from the other', async () => {
    const data = pseudoRandom(24 * MiB, 5)
    const a = await peer()
    const b = await peer()
    const { cid } = await a.files.share([{ path: 'f', content: [data] }])
    await b.files.share([{ path: 'f', content: [data] }])
    const d = await peer()
    await connect(d, a)
    await connect(d, b)
    let killed = false
    const result = await d.files.get(cid, {
      onProgress: (p) => {
        if (!killed && p.chunks >= 6) {
          killed = true
          void b.stop()
        }
      },
    })
    expect(killed).toBe(true)
    expect(sha(await d.files.getBytes(cid))).toBe(sha(data))
    expect(result.bytes).toBe(data.byteLength)
  })

  it('a seeder serving corrupted chunks is dropped at once and the download is still correct', async () => {
    const data = pseudoRandom(16 * MiB, 9)
    const honest = await peer()
    const { cid } = await honest.files.share([{ path: 'f', content: [data] }])
    const liar = await corruptSeeder(data)
    const d = await peer()
    await connect(d, liar)
    await connect(d, honest)
    const result = await d.files.get(cid)
    expect(result.dropped.lying).toEqual([liar.peerId.toString()])
    expect(sha(await d.files.getBytes(cid))).toBe(sha(data))
    expect(
      d.events.filter((e) => e.name === 'files.peer-dropped' && e.fields.reason === 'lying'),
    ).toHaveLength(1)
    // nothing from the liar was accepted
    expect(result.peers.find((p) => p.peer === liar.peerId.toString())).toBeUndefined()
  })

  it('an interrupted download resumes from the verified chunks and fetches nothing twice', async () => {
    const data = pseudoRandom(20 * MiB, 11)
    const seed = await peer()
    const { cid } = await seed.files.share([{ path: 'f', content: [data] }])
    const d = await peer()
    await connect(d, seed)
    const stop = new AbortController()
    let at = 0
    await expect(
      d.files.get(cid, {
        signal: stop.signal,
        onProgress: (p) => {
          if (p.chunks >= 8 && !stop.signal.aborted) {
            at = p.chunks
            stop.abort(new Error('interrupted by the test'))
          }
        },
      }),
    ).rejects.toThrow(/interrupted/)
    expect(at).toBeGreaterThanOrEqual(8)
    // the seeder may still be flushing answers to the aborted run's pipeline: wait until it settles
    let last = -1
    await waitFor('the seeder to settle', async () => {
      const now = seed.files.servedBytes()
      if (now === last) return true
      last = now
      await new Promise((r) => setTimeout(r, 500))
      return false
    })
    const servedBefore = seed.files.servedBytes()
    const result = await d.files.get(cid)
    expect(result.resumedBytes).toBeGreaterThanOrEqual(8 * MiB)
    const fetched = result.peers.reduce((n, p) => n + p.bytes, 0)
    expect(fetched + result.resumedBytes).toBe(data.byteLength)
    // the seeder served the rest once: no chunk the first run verified was sent again
    await waitFor('seeder counters', () => seed.files.servedBytes() - servedBefore >= fetched)
    expect(seed.files.servedBytes() - servedBefore).toBeLessThanOrEqual(fetched + 2 * MiB)
    expect(sha(await d.files.getBytes(cid))).toBe(sha(data))
  })

  it('an unknown CID fails with a clear NotFoundError after the find timeout', async () => {
    const seed = await peer()
    const d = await peer()
    await connect(d, seed)
    const started = Date.now()
    await expect(
      d.files.get('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyka', { findTimeoutMs: 2_000 }),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringMatching(/no peer provided .* within 2 s/),
    })
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('refuses content larger than maxBytes before fetching its chunks', async () => {
    const seed = await peer()
    const { cid } = await seed.files.share([{ path: 'f', content: [pseudoRandom(3 * MiB)] }])
    const d = await peer()
    await connect(d, seed)
    await expect(d.files.getBytes(cid, { maxBytes: MiB })).rejects.toMatchObject({ name: 'TooLargeError' })
    expect(seed.files.servedBytes()).toBeLessThan(64 * 1024)
  })
})

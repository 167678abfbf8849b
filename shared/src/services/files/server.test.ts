/**
 * The files listener on in-memory streams: answers in order, honours CANCEL for a WANT still queued,
 * and ends the stream of a peer that queues without bound or sends garbage.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream, streamPair } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { FILES_MAX_FRAME_BYTES } from '../../constants.ts'
import { RAW_CODE } from './dag.ts'
import { FILES_MAX_QUEUED_REQUESTS, filesHandler } from './server.ts'
import { BLOCK, CANCEL, DONT_HAVE, decodeFrame, encodeFrame, type Frame, WANT } from './wire.ts'

async function block(n: number): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = new Uint8Array(1024).fill(n)
  return { cid: CID.createV1(RAW_CODE, await sha256.digest(bytes)), bytes }
}

/** A listener whose blockstore holds the first read until `release()`: later requests queue meanwhile. */
async function gatedListener(blocks: Array<{ cid: CID; bytes: Uint8Array }>) {
  const bs = new MemoryBlockstore()
  for (const b of blocks) await bs.put(b.cid, b.bytes)
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  let first = true
  const gated = Object.create(bs) as MemoryBlockstore
  gated.has = async (cid, opts) => {
    if (first) {
      first = false
      await gate
    }
    return bs.has(cid, opts)
  }
  const [client, server] = await streamPair()
  const served = filesHandler({
    blockstore: gated,
    haveOf: async () => ({ kind: 'all', bitmap: new Uint8Array(0) }),
    events: () => {},
  })(server, { remotePeer: { toString: () => 'client' } })
  const lp = lpStream(client as Stream, { maxDataLength: FILES_MAX_FRAME_BYTES })
  return {
    release,
    served,
    server,
    send: (f: Frame) => lp.write(encodeFrame(f)),
    sendRaw: (bytes: Uint8Array) => lp.write(bytes),
    read: async () => decodeFrame((await lp.read()).subarray()),
  }
}

describe('files listener', () => {
  it('answers a cancelled WANT still in its queue with DONT_HAVE, the others with their blocks, in order', async () => {
    const [a, b, c] = await Promise.all([block(1), block(2), block(3)])
    const l = await gatedListener([a!, b!, c!])
    await l.send({ type: WANT, cid: a!.cid })
    await l.send({ type: WANT, cid: b!.cid })
    await l.send({ type: WANT, cid: c!.cid })
    await l.send({ type: CANCEL, cid: b!.cid })
    // the CANCEL must be read while the first answer is held, before b's turn
    await new Promise((r) => setTimeout(r, 200))
    l.release()
    const [first, second, third] = [await l.read(), await l.read(), await l.read()]
    expect([first.type, second.type, third.type]).toEqual([BLOCK, DONT_HAVE, BLOCK])
    expect(first.type === BLOCK && first.bytes).toEqual(a!.bytes)
    expect(third.type === BLOCK && third.bytes).toEqual(c!.bytes)
  })

  it('ends the stream of a peer that queues more than FILES_MAX_QUEUED_REQUESTS requests', async () => {
    const a = await block(1)
    const l = await gatedListener([a])
    // the first answer is held: every request after it stays queued
    let sent = 0
    try {
      for (; sent <= FILES_MAX_QUEUED_REQUESTS + 1; sent++) await l.send({ type: WANT, cid: a.cid })
    } catch {
      // the listener reset the stream under our writes
    }
    expect(sent).toBeGreaterThan(FILES_MAX_QUEUED_REQUESTS)
    while (l.server.status !== 'aborted') await new Promise((r) => setTimeout(r, 10))
    l.release()
    await l.served
  })

  it('ends the stream of a peer that sends a listener-only or malformed frame', async () => {
    const a = await block(1)
    for (const bad of [encodeFrame({ type: BLOCK, cid: a.cid, bytes: a.bytes }), Uint8Array.of(WANT, 1, 2)]) {
      const l = await gatedListener([a])
      l.release()
      await l.send({ type: WANT, cid: a.cid })
      expect((await l.read()).type).toBe(BLOCK)
      await l.sendRaw(bad)
      await l.served
      expect(l.server.status).toBe('aborted')
    }
  })
})

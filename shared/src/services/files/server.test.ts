/**
 * The files listener on in-memory streams: answers in order, honours CANCEL for a WANT still queued,
 * ends the stream of a peer that queues without bound or sends garbage, and as a complete seed sends a
 * crowd each chunk once before it sends any twice (its first pass).
 */
import type { Stream } from '@libp2p/interface'
import { lpStream, streamPair } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { FILES_MAX_FRAME_BYTES } from '../../constants.ts'
import { RAW_CODE } from './dag.ts'
import { FirstPass, type QueuedWants } from './first-pass.ts'
import { FILES_MAX_QUEUED_REQUESTS, filesHandler } from './server.ts'
import * as wire from './wire.ts'

async function block(n: number): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = new Uint8Array(1024).fill(n)
  return { cid: CID.createV1(RAW_CODE, await sha256.digest(bytes)), bytes }
}

/** A blockstore of `blocks` whose first read of a block `hold` accepts waits until `release()`. */
async function gatedStore(blocks: Array<{ cid: CID; bytes: Uint8Array }>, hold: (cid: CID) => boolean) {
  const bs = new MemoryBlockstore()
  for (const b of blocks) await bs.put(b.cid, b.bytes)
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  let held = false
  const gated = Object.create(bs) as MemoryBlockstore
  gated.has = async (cid, opts) => {
    if (!held && hold(cid)) {
      held = true
      await gate
    }
    return bs.has(cid, opts)
  }
  return { gated, release }
}

/** A downloader's end of a new stream to `handler`, as peer `name`. */
async function connect(handler: ReturnType<typeof filesHandler>, name: string) {
  const [client, server] = await streamPair()
  void handler(server, { remotePeer: { toString: () => name } })
  const lp = lpStream(client as Stream, { maxDataLength: FILES_MAX_FRAME_BYTES })
  return {
    send: (f: wire.Frame) => lp.write(wire.encodeFrame(f)),
    read: async () => wire.decodeFrame((await lp.read()).subarray()),
    close: () => client.close(),
  }
}

/** A listener whose blockstore holds the first read until `release()`: later requests queue meanwhile. */
async function gatedListener(blocks: Array<{ cid: CID; bytes: Uint8Array }>) {
  const { gated, release } = await gatedStore(blocks, () => true)
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
    send: (f: wire.Frame) => lp.write(wire.encodeFrame(f)),
    sendRaw: (bytes: Uint8Array) => lp.write(bytes),
    read: async () => wire.decodeFrame((await lp.read()).subarray()),
  }
}

describe('files listener', () => {
  it('answers a cancelled WANT still in its queue with DONT_HAVE, the others with their blocks, in order', async () => {
    const [a, b, c] = await Promise.all([block(1), block(2), block(3)])
    const l = await gatedListener([a!, b!, c!])
    await l.send({ type: wire.WANT, cid: a!.cid })
    await l.send({ type: wire.WANT, cid: b!.cid })
    await l.send({ type: wire.WANT, cid: c!.cid })
    await l.send({ type: wire.CANCEL, cid: b!.cid })
    // the CANCEL must be read while the first answer is held, before b's turn
    await new Promise((r) => setTimeout(r, 200))
    l.release()
    const [first, second, third] = [await l.read(), await l.read(), await l.read()]
    expect([first.type, second.type, third.type]).toEqual([wire.BLOCK, wire.DONT_HAVE, wire.BLOCK])
    expect(first.type === wire.BLOCK && first.bytes).toEqual(a!.bytes)
    expect(third.type === wire.BLOCK && third.bytes).toEqual(c!.bytes)
  })

  it('ends the stream of a peer that queues more than FILES_MAX_QUEUED_REQUESTS requests', async () => {
    const a = await block(1)
    const l = await gatedListener([a])
    // the first answer is held: every request after it stays queued
    let sent = 0
    try {
      for (; sent <= FILES_MAX_QUEUED_REQUESTS + 1; sent++) await l.send({ type: wire.WANT, cid: a.cid })
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
    for (const bad of [
      wire.encodeFrame({ type: wire.BLOCK, cid: a.cid, bytes: a.bytes }),
      Uint8Array.of(wire.WANT, 1, 2),
    ]) {
      const l = await gatedListener([a])
      l.release()
      await l.send({ type: wire.WANT, cid: a.cid })
      expect((await l.read()).type).toBe(wire.BLOCK)
      await l.sendRaw(bad)
      await l.served
      expect(l.server.status).toBe('aborted')
    }
  })

  it('a complete seed with two downloaders refuses a repeat while a never-sent chunk is queued, until every chunk went once', async () => {
    const [a, b] = await Promise.all([block(1), block(2)])
    const root = (await block(9)).cid
    // the first read of `a` is held, so `b` stays queued behind it on the first downloader's stream
    const { gated, release } = await gatedStore([a!, b!], (cid) => cid.equals(a!.cid))
    const handler = filesHandler({
      blockstore: gated,
      haveOf: async () => ({ kind: 'all', bitmap: new Uint8Array(0) }),
      leavesOf: async () => [a!.cid, b!.cid],
      events: () => {},
    })
    const downloader = (name: string) => connect(handler, name)
    const one = await downloader('one')
    await one.send({ type: wire.HAVE_REQ, root })
    expect(await one.read()).toMatchObject({ type: wire.HAVE, kind: 'all' })
    const two = await downloader('two')
    await two.send({ type: wire.HAVE_REQ, root })
    // a crowd: the HAVE answer lists the chunks not yet sent (both)
    const have = await two.read()
    expect(have.type === wire.HAVE && have.kind).toBe('bitmap')
    expect(have.type === wire.HAVE && [...have.bitmap]).toEqual([0b11])
    await one.send({ type: wire.WANT, cid: a!.cid })
    await one.send({ type: wire.WANT, cid: b!.cid })
    await new Promise((r) => setTimeout(r, 100))
    // `a` is on its way to the first downloader and `b`, never sent, waits: the repeat is refused
    await two.send({ type: wire.WANT, cid: a!.cid })
    expect(await two.read()).toMatchObject({ type: wire.DONT_HAVE })
    await two.send({ type: wire.HAVE_REQ, root })
    const later = await two.read()
    expect(later.type === wire.HAVE && [...later.bitmap]).toEqual([0b10])
    release()
    const [ga, gb] = [await one.read(), await one.read()]
    expect(ga.type === wire.BLOCK && ga.bytes).toEqual(a!.bytes)
    expect(gb.type === wire.BLOCK && gb.bytes).toEqual(b!.bytes)
    // every chunk went once: the pass is over and the seed serves anything, and says it holds all
    await two.send({ type: wire.WANT, cid: a!.cid })
    const got = await two.read()
    expect(got.type === wire.BLOCK && got.bytes).toEqual(a!.bytes)
    await two.send({ type: wire.HAVE_REQ, root })
    expect(await two.read()).toMatchObject({ type: wire.HAVE, kind: 'all' })
  })

  it('first pass is work-conserving: a repeat is sent when no never-sent chunk is queued anywhere', async () => {
    const [a, b] = await Promise.all([block(1), block(2)])
    const pass = new FirstPass([a!.cid, b!.cid])
    const queued: CID[] = []
    const one: QueuedWants = { wanted: () => [] }
    const two: QueuedWants = { wanted: () => queued }
    pass.join(one)
    pass.join(two)
    expect(pass.admit(one, a!.cid)).toBe('fresh')
    // nobody sends or waits for a never-sent chunk: the uplink would idle, so the repeat goes
    expect(pass.admit(two, a!.cid)).toBe('repeat')
    queued.push(b!.cid)
    expect(pass.admit(one, a!.cid)).toBe(false)
    queued.pop()
    two.sendingFresh = true
    expect(pass.admit(one, a!.cid)).toBe(false)
    // every chunk has been handed out, but `b` is still on its way: its downloader will serve it
    two.sendingFresh = false
    expect(pass.admit(one, b!.cid)).toBe('fresh')
    one.sendingFresh = true
    expect(pass.done).toBe(true)
    expect(pass.admit(two, b!.cid)).toBe(false)
    one.sendingFresh = false
    expect(pass.admit(two, b!.cid)).toBe('repeat')
    // a lone downloader is never refused
    pass.leave(two)
    expect(pass.admit(one, a!.cid)).toBe('repeat')
  })
})

describe('first pass with reports (the seed polls its downloaders)', () => {
  const setup = async () => {
    const [a, b] = await Promise.all([block(1), block(2)])
    let now = 1_000
    const pass = new FirstPass([a!.cid, b!.cid], { reports: true, lostMs: 5_000, now: () => now })
    const one: QueuedWants = { wanted: () => [] }
    const two: QueuedWants = { wanted: () => [] }
    pass.join(one)
    pass.join(two)
    return { a: a!, b: b!, pass, one, two, tick: (ms: number) => (now += ms) }
  }
  const bits = (pass: FirstPass) => [...pass.unsent()]

  it('a written chunk is on its way until a downloader reports it, then fetched there: never sent twice', async () => {
    const { a, b, pass, one, two, tick } = await setup()
    expect(pass.admit(one, a.cid)).toBe('fresh')
    expect(pass.admit(two, b.cid)).toBe('fresh')
    expect(pass.done).toBe(true)
    // both written, but (unlike without reports) the pass goes on while nobody reported them
    expect(pass.active).toBe(true)
    expect(pass.admit(two, a.cid)).toBe(false)
    tick(1_000)
    pass.seen({ kind: 'bitmap', bitmap: Uint8Array.of(0b01) }) // `one` reports a
    expect(pass.admit(two, a.cid)).toBe(false) // held by a downloader: fetch it there
    expect(bits(pass)).toEqual([0])
    pass.seen({ kind: 'all', bitmap: new Uint8Array(0) }) // a downloader completed
    expect(pass.active).toBe(false)
    expect(pass.admit(two, a.cid)).toBe('repeat')
  })

  it('a chunk nobody reports within lostMs of its write ending is offered and sent again', async () => {
    const { a, b, pass, one, two, tick } = await setup()
    expect(pass.admit(one, a.cid)).toBe('fresh')
    expect(pass.admit(one, b.cid)).toBe('fresh')
    pass.seen({ kind: 'bitmap', bitmap: Uint8Array.of(0b10) }) // b arrived, a did not
    expect(bits(pass)).toEqual([0])
    // the clock starts when the write ends: a write waiting for room in the buffers is not lost
    tick(60_000)
    expect(pass.admit(two, a.cid)).toBe(false)
    pass.written(a.cid)
    tick(4_999)
    expect(pass.admit(two, a.cid)).toBe(false)
    tick(1)
    expect(bits(pass)).toEqual([0b01]) // a is offered again
    expect(pass.admit(two, a.cid)).toBe('repeat')
  })

  it('what went to a downloader that left before reporting it is fresh again', async () => {
    const { a, pass, one, two } = await setup()
    const three: QueuedWants = { wanted: () => [] }
    pass.join(three)
    expect(pass.admit(one, a.cid)).toBe('fresh')
    pass.leave(one)
    expect(bits(pass)).toEqual([0b11])
    expect(pass.admit(two, a.cid)).toBe('fresh')
    // a reported chunk stays spread when its downloader leaves
    pass.seen({ kind: 'bitmap', bitmap: Uint8Array.of(0b01) })
    pass.leave(two)
    expect(pass.admit(three, a.cid)).toBe('repeat') // fewer than two downloaders: the rule is off
  })

  it('the listener polls each downloader for its have-map and refuses a repeat until one reports the chunk', async () => {
    const [a, b] = await Promise.all([block(1), block(2)])
    const root = (await block(9)).cid
    const bs = new MemoryBlockstore()
    for (const x of [a!, b!]) await bs.put(x.cid, x.bytes)
    const reports = new Map<string, number>() // peer -> have-map byte it reports
    const asked: string[] = []
    const handler = filesHandler({
      blockstore: bs,
      haveOf: async () => ({ kind: 'all', bitmap: new Uint8Array(0) }),
      leavesOf: async () => [a!.cid, b!.cid],
      events: () => {},
      probe: (peer) => ({
        have: async () => {
          asked.push(peer)
          return { kind: 'bitmap', bitmap: Uint8Array.of(reports.get(peer) ?? 0) }
        },
        close: () => {},
      }),
    })
    const downloader = (name: string) => connect(handler, name)
    const one = await downloader('one')
    const two = await downloader('two')
    for (const d of [one, two]) {
      await d.send({ type: wire.HAVE_REQ, root })
      await d.read()
    }
    await one.send({ type: wire.WANT, cid: a!.cid })
    await one.send({ type: wire.WANT, cid: b!.cid })
    expect((await one.read()).type).toBe(wire.BLOCK)
    expect((await one.read()).type).toBe(wire.BLOCK)
    // every chunk written, none reported: a repeat is refused (it is on its way)
    await two.send({ type: wire.WANT, cid: a!.cid })
    expect(await two.read()).toMatchObject({ type: wire.DONT_HAVE })
    // the next poll hears that `one` holds both: the pass is over and the seed serves anything
    reports.set('one', 0b11)
    await new Promise((r) => setTimeout(r, 1_300))
    expect(asked).toEqual(expect.arrayContaining(['one', 'two']))
    await two.send({ type: wire.WANT, cid: a!.cid })
    const got = await two.read()
    expect(got.type === wire.BLOCK && got.bytes).toEqual(a!.bytes)
    await two.send({ type: wire.HAVE_REQ, root })
    expect(await two.read()).toMatchObject({ type: wire.HAVE, kind: 'all' })
    await one.close()
    await two.close()
  })
})

import { yamux } from '@chainsafe/libp2p-yamux'
import type { Stream, StreamMuxer } from '@libp2p/interface'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { halfWindowUpdates } from './yamux-window.ts'

/** Yamux frame type of a WindowUpdate (the spec's 0x1), at byte 1 of each 12-byte header. */
const WINDOW_UPDATE = 1

/** Two yamux muxers over a connection pair; counts the WindowUpdate frames the inbound side sends. */
async function pair(wrap: boolean) {
  const [outConn, inConn] = multiaddrConnectionPair()
  const make = () => (wrap ? halfWindowUpdates(yamux()) : yamux())()
  let updates = 0
  const send = inConn.send.bind(inConn)
  inConn.send = (data) => {
    const bytes = data instanceof Uint8Array ? data : data.subarray()
    if (bytes.length === 12 && bytes[1] === WINDOW_UPDATE) updates++
    return send(data)
  }
  const outMuxer: StreamMuxer = make().createStreamMuxer(outConn)
  const inMuxer: StreamMuxer = make().createStreamMuxer(inConn)
  const inbound = new Promise<Stream>((resolve) =>
    inMuxer.addEventListener('stream', (e) => resolve(e.detail), { once: true }),
  )
  const out = await outMuxer.createStream()
  return { out, inbound, updates: () => updates }
}

/** Sends `count` frames of `bytes` and waits until all arrived. */
async function transfer(count: number, bytes: number, wrap: boolean) {
  const p = await pair(wrap)
  let received = 0
  const done = p.inbound.then(
    (s) =>
      new Promise<void>((resolve) =>
        s.addEventListener('message', (e) => {
          received += e.data.byteLength
          if (received === count * bytes) resolve()
        }),
      ),
  )
  for (let i = 0; i < count; i++) {
    if (!p.out.send(new Uint8Array(bytes)))
      await new Promise((r) => p.out.addEventListener('drain', r, { once: true }))
  }
  await done
  return { received, updates: p.updates() }
}

describe('contract: @chainsafe/libp2p-yamux 8 window updates', () => {
  it('stock yamux answers every data frame with a window update (what the hook avoids)', async () => {
    const r = await transfer(50, 1_000, false)
    expect(r.updates).toBeGreaterThanOrEqual(50)
  })

  it('wrapped, it sends one once half the window is used, and data still flows past the window', async () => {
    // 50 x 1 KB: well under half the 256 KiB initial window, so only the ACK goes back
    expect((await transfer(50, 1_000, true)).updates).toBeLessThanOrEqual(1)
    // 2 MB through a 256 KiB window: the sender must have been given more window (about 2 MB / 128 KiB)
    const big = await transfer(2_000, 1_000, true)
    expect(big.received).toBe(2_000_000)
    expect(big.updates).toBeGreaterThanOrEqual(4)
    expect(big.updates).toBeLessThan(100)
  })
})

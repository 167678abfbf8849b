import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { MessageStream } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { leanNoise } from './noise-frames.ts'

async function securePair(wrap: boolean) {
  const make = async () => {
    const components = {
      privateKey: await generateKeyPair('Ed25519'),
      logger: defaultLogger(),
      upgrader: { getStreamMuxers: () => new Map() },
    }
    return (wrap ? leanNoise(noise()) : noise())(components as never)
  }
  const [a, b] = multiaddrConnectionPair()
  // what noise hands the underlying connection: the number of buffers in each chunk it sends
  const sentBufs: number[] = []
  const send = a.send.bind(a)
  a.send = (data) => {
    sentBufs.push(data instanceof Uint8Array ? 1 : [...data].length)
    return send(data)
  }
  const [na, nb] = await Promise.all([make(), make()])
  const opts = { skipStreamMuxerNegotiation: true }
  const [out, inb] = await Promise.all([na.secureOutbound(a, opts), nb.secureInbound(b, opts)])
  sentBufs.length = 0
  return { out: out.connection as MessageStream, inb: inb.connection as MessageStream, sentBufs }
}

const decoderOf = (c: unknown) =>
  (c as { decoder: { lengthDecoder: (d: Uint8Array) => number; maxDataLength: number } }).decoder

describe('contract: @chainsafe/libp2p-noise 17 frame decoder and encrypter', () => {
  it('stock noise ends each chunk with a RangeError (what the hook avoids)', async () => {
    const { out } = await securePair(false)
    expect(() => decoderOf(out).lengthDecoder(new Uint8Array(1))).toThrow(RangeError)
    expect(decoderOf(out).maxDataLength).toBeTypeOf('number')
  })

  it('stock noise hands on two buffers per frame (length, ciphertext): two WebSocket messages', async () => {
    const { out, sentBufs } = await securePair(false)
    out.send(new Uint8Array(1000).fill(7))
    expect(sentBufs).toEqual([2])
  })

  it('wrapped, each chunk goes on as one buffer, a multi-frame chunk too, and arrives intact', async () => {
    const { out, inb, sentBufs } = await securePair(true)
    // 1 KB (one noise frame) and 150 KB (three frames of at most 65,535 bytes)
    const sent = [new Uint8Array(1000).fill(1), Uint8Array.from({ length: 150_000 }, (_, i) => i % 251)]
    const total = sent.reduce((n, s) => n + s.length, 0)
    const got: Uint8Array[] = []
    let gotBytes = 0
    const done = new Promise<void>((resolve) =>
      inb.addEventListener('message', (e) => {
        got.push(e.data.subarray())
        gotBytes += e.data.byteLength
        if (gotBytes === total) resolve()
      }),
    )
    for (const s of sent) out.send(s)
    await done
    expect(sentBufs).toEqual([1, 1])
    const joined = new Uint8Array(total)
    let at = 0
    for (const g of got) {
      joined.set(g, at)
      at += g.length
    }
    expect(joined.subarray(0, 1000)).toEqual(sent[0])
    expect(joined.subarray(1000)).toEqual(sent[1])
  })

  it('wrapped, short buffers answer the largest length and data still arrives intact', async () => {
    const { out, inb } = await securePair(true)
    const d = decoderOf(inb)
    expect(d.lengthDecoder(new Uint8Array(1))).toBe(d.maxDataLength)
    expect(d.lengthDecoder(Uint8Array.of(1, 2, 3))).toBe(258)
    const sent = Array.from({ length: 20 }, (_, i) => new Uint8Array(100 + i * 50).fill(i))
    const total = sent.reduce((n, s) => n + s.length, 0)
    const got: number[] = []
    const done = new Promise<void>((resolve) =>
      inb.addEventListener('message', (e) => {
        got.push(...e.data.subarray())
        if (got.length === total) resolve()
      }),
    )
    for (const s of sent) out.send(s)
    await done
    expect(got).toEqual(sent.flatMap((s) => [...s]))
  })
})

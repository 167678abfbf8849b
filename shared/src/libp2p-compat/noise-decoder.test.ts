import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { MessageStream } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { quietNoiseDecoder } from './noise-decoder.ts'

async function securePair(wrap: boolean) {
  const make = async () => {
    const components = {
      privateKey: await generateKeyPair('Ed25519'),
      logger: defaultLogger(),
      upgrader: { getStreamMuxers: () => new Map() },
    }
    return (wrap ? quietNoiseDecoder(noise()) : noise())(components as never)
  }
  const [a, b] = multiaddrConnectionPair()
  const [na, nb] = await Promise.all([make(), make()])
  const opts = { skipStreamMuxerNegotiation: true }
  const [out, inb] = await Promise.all([na.secureOutbound(a, opts), nb.secureInbound(b, opts)])
  return { out: out.connection as MessageStream, inb: inb.connection as MessageStream }
}

const decoderOf = (c: unknown) =>
  (c as { decoder: { lengthDecoder: (d: Uint8Array) => number; maxDataLength: number } }).decoder

describe('contract: @chainsafe/libp2p-noise 17 frame decoder', () => {
  it('stock noise ends each chunk with a RangeError (what the hook avoids)', async () => {
    const { out } = await securePair(false)
    expect(() => decoderOf(out).lengthDecoder(new Uint8Array(1))).toThrow(RangeError)
    expect(decoderOf(out).maxDataLength).toBeTypeOf('number')
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

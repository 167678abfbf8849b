import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { randomChunks, receiveTransfer, sendTransfer, TRANSFER_DIGEST_BYTES, toHex } from './transfer.ts'

describe('/edgeswarm/transfer/1.0.0', () => {
  it('the receiver answers the SHA-256 of exactly what was sent', async () => {
    const [outbound, inbound] = await streamPair()
    const receipt = receiveTransfer(inbound)
    const sent = await sendTransfer(outbound, randomChunks(1024 * 1024 + 17))
    const got = await receipt
    expect(got).toEqual({ bytes: 1024 * 1024 + 17, sha256: sent.sha256, complete: true })
    expect(sent.remoteSha256).toBe(sent.sha256)
    expect(sent.sha256).toHaveLength(TRANSFER_DIGEST_BYTES * 2)
  })

  it('an empty transfer still gets the digest of nothing', async () => {
    const [outbound, inbound] = await streamPair()
    const receipt = receiveTransfer(inbound)
    const sent = await sendTransfer(outbound, [])
    expect((await receipt).complete).toBe(true)
    // SHA-256 of the empty string
    expect(sent.remoteSha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('a reset mid-way gives an incomplete receipt and no digest', async () => {
    const [outbound, inbound] = await streamPair()
    const receipt = receiveTransfer(inbound)
    outbound.send(new Uint8Array(1000))
    outbound.abort(new Error('cut'))
    const got = await receipt
    expect(got.complete).toBe(false)
  })

  it('randomChunks yields the total in pieces of at most 64 KiB; toHex pads', () => {
    const chunks = [...randomChunks(200_000)]
    expect(chunks.reduce((s, c) => s + c.byteLength, 0)).toBe(200_000)
    expect(Math.max(...chunks.map((c) => c.byteLength))).toBeLessThanOrEqual(65_536)
    expect(toHex(new Uint8Array([0, 1, 255]))).toBe('0001ff')
  })
})

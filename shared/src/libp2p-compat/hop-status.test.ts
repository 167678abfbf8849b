import { describe, expect, it } from 'vitest'
import { decodeHopStatus, encodeHopStatus, HopStatus } from './hop-status.ts'

/** circuit-relay-v2's own generated codec (not exported by the package: loaded by path, test only). */
async function stockHopMessage() {
  const url = import.meta.resolve('@libp2p/circuit-relay-v2').replace(/index\.js$/, 'pb/index.js')
  return (await import(url)) as {
    HopMessage: { decode: (b: Uint8Array) => { type?: string; status?: string } }
    Status: Record<string, unknown>
  }
}

describe('contract: HopMessage STATUS', () => {
  it('decodes with circuit-relay-v2 generated codec as type STATUS and our status', async () => {
    const { HopMessage } = await stockHopMessage()
    expect(HopMessage.decode(encodeHopStatus(HopStatus.RESOURCE_LIMIT_EXCEEDED))).toMatchObject({
      type: 'STATUS',
      status: 'RESOURCE_LIMIT_EXCEEDED',
    })
    expect(HopMessage.decode(encodeHopStatus(HopStatus.PERMISSION_DENIED)).status).toBe('PERMISSION_DENIED')
  })

  it('the status codes match the library enum, and round-trip', async () => {
    const { Status } = await stockHopMessage()
    expect((Status as { codec: () => unknown }).codec).toBeTypeOf('function')
    expect(decodeHopStatus(encodeHopStatus(201))).toEqual({ status: 201 })
    // proto3 wire bytes: field 1 varint 2 (STATUS), field 5 varint 201
    expect([...encodeHopStatus(201)]).toEqual([0x08, 0x02, 0x28, 0xc9, 0x01])
  })
})

import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { fromString } from 'uint8arrays/from-string'
import { toString as text } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { MAX_ROUTING_RECORD_CIDS } from '../../constants.ts'
import { parseCid, parsePeerId } from './keys.ts'
import { signRecord, verifyRecord } from './record.ts'

const CID_V1 = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const CID_V0 = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'

function edit(body: { record: string; signature: string }, change: (r: Record<string, unknown>) => void) {
  const r = JSON.parse(text(fromString(body.record, 'base64url'))) as Record<string, unknown>
  change(r)
  return { ...body, record: text(fromString(JSON.stringify(r)), 'base64url') }
}

describe('routing record', () => {
  it('round-trips: the peer signs, the edge verifies and normalises', async () => {
    const key = await generateKeyPair('Ed25519')
    const body = await signRecord(key, { cids: [CID_V1, CID_V0], addrs: ['/ip4/1.2.3.4/tcp/1/ws'], ttl: 60 })
    const rec = await verifyRecord(body, Date.now())
    expect(rec.peer).toBe(peerIdFromPrivateKey(key).toString())
    expect(rec.cids[0]).toBe(CID_V1)
    expect(rec.cids[1]).toMatch(/^bafy/)
    expect(rec.keys[1]).toBe(parseCid(CID_V0).key)
    expect(rec.addrs).toEqual(['/ip4/1.2.3.4/tcp/1/ws'])
  })

  it('refuses a record naming another peer, a changed field, or a stale timestamp', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const body = await signRecord(key, { cids: [CID_V1], addrs: [], ttl: 60 })
    await expect(
      verifyRecord(
        edit(body, (r) => (r.peer = other)),
        Date.now(),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRecordError',
    })
    await expect(
      verifyRecord(
        edit(body, (r) => (r.ttl = 3600)),
        Date.now(),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidRecordError',
    })
    await expect(verifyRecord(body, Date.now() + 3_600_000)).rejects.toMatchObject({
      name: 'InvalidRecordError',
    })
    await expect(
      verifyRecord({ ...body, signature: body.signature.slice(2) }, Date.now()),
    ).rejects.toMatchObject({
      name: 'InvalidRecordError',
    })
  })

  it('refuses RSA peer IDs (no embedded key) as unverifiable', async () => {
    const rsa = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
    const key = await generateKeyPair('Ed25519')
    const body = edit(await signRecord(key, { cids: [], addrs: [], ttl: 60 }), (r) => (r.peer = rsa))
    await expect(verifyRecord(body, Date.now())).rejects.toMatchObject({ name: 'InvalidRecordError' })
  })

  it('refuses malformed fields with InvalidInputError naming the field', async () => {
    const key = await generateKeyPair('Ed25519')
    const body = await signRecord(key, { cids: [CID_V1], addrs: [], ttl: 60 })
    const cases: [(r: Record<string, unknown>) => void, RegExp][] = [
      [(r) => (r.cids = ['nope']), /cid/],
      [(r) => (r.cids = Array.from({ length: MAX_ROUTING_RECORD_CIDS + 1 }, () => CID_V1)), /cids/],
      [(r) => (r.addrs = ['/not/a/multiaddr']), /addrs/],
      [(r) => (r.addrs = 'x'), /addrs/],
      [(r) => (r.ttl = 0), /ttl/],
      [(r) => (r.ttl = 10 ** 9), /ttl/],
      [(r) => (r.ts = 'now'), /ts/],
      [(r) => (r.peer = 'bob'), /peer ID/],
    ]
    for (const [change, message] of cases) {
      await expect(verifyRecord(edit(body, change), Date.now())).rejects.toMatchObject({
        name: 'InvalidInputError',
        message: expect.stringMatching(message),
      })
    }
    for (const bad of [null, 'x', {}, { record: '!!', signature: '' }, { record: 'e30', signature: 1 }]) {
      await expect(verifyRecord(bad, Date.now())).rejects.toMatchObject({ name: 'InvalidInputError' })
    }
  })
})

describe('routing keys', () => {
  it('parses CIDs (v0 and v1 share the multihash key) and refuses garbage', () => {
    expect(parseCid(CID_V0).key).toBe(parseCid(parseCid(CID_V0).text).key)
    for (const bad of ['', 'x', 'Qm123', 'b'.repeat(300), 42]) {
      expect(() => parseCid(bad)).toThrow(expect.objectContaining({ name: 'InvalidInputError' }))
    }
  })

  it('parses peer IDs in base58 and CID form to one canonical string', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    expect(parsePeerId(id.toCID().toString()).toString()).toBe(id.toString())
    for (const bad of ['', '12D3KooWnope', 'bafkqaaa', 7]) {
      expect(() => parsePeerId(bad)).toThrow(expect.objectContaining({ name: 'InvalidInputError' }))
    }
  })
})

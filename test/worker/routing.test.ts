/**
 * The edge's super-peer index against the real worker and ProviderIndex Durable Objects on workerd
 * (`wrangler dev`): signed announcements, Delegated Routing V1 answers (JSON and NDJSON), bad input,
 * forged records, quota, expiry, private mode. Run: `vitest run --project worker test/worker/routing.test.ts`.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROUTING_ANNOUNCE_PATH } from '#shared/constants.ts'
import { signRecord } from '#shared/services/routing/record.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { waitFor } from '../helpers/wait.ts'
import { expectJsonError, expectNoInternals } from './http.ts'

async function randomCid(): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(crypto.getRandomValues(new Uint8Array(32))))
}

async function announce(
  edge: Edge,
  key: PrivateKey,
  cids: string[],
  addrs: string[],
  opts: { ttl?: number; ts?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  const body = await signRecord(key, {
    cids,
    addrs,
    ttl: opts.ttl ?? 600,
    ...(opts.ts === undefined ? {} : { ts: opts.ts }),
  })
  return fetch(`${edge.url}${ROUTING_ANNOUNCE_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify(body),
  })
}

async function metric(edge: Edge, event: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${edge.url}/metrics`, { headers })).text()
  let sum = 0
  for (const m of text.matchAll(
    new RegExp(`^edgeswarm_routing_events_total\\{index="\\d+",event="${event}"\\} (\\d+)$`, 'gm'),
  )) {
    sum += Number(m[1])
  }
  return sum
}

describe('edge routing API (open network)', () => {
  let edge: Edge
  let shardAddr: string

  beforeAll(async () => {
    edge = await startEdge({
      vars: {
        RELAY_SHARDS: '2',
        NETWORK_NAME: 'routing-test',
        ROUTING_MAX_RECORDS_PER_PEER: '100',
        ROUTING_MAX_RECORDS_PER_SHARD: '150',
      },
    })
    const doc = (await (await fetch(`${edge.url}/v1/bootstrap`)).json()) as { relays: { addrs: string[] }[] }
    shardAddr = doc.relays[0]!.addrs[0]!
  })
  afterAll(async () => {
    await edge?.stop()
  })

  it('serves providers a peer announced, with only the addresses the edge vouches for', async () => {
    const key = await generateKeyPair('Ed25519')
    const peer = peerIdFromPrivateKey(key).toString()
    const cid = (await randomCid()).toString()
    const res = await announce(
      edge,
      key,
      [cid],
      [
        `/ip4/127.0.0.1/tcp/4001/ws/p2p/${peer}`, // same IP as the announcement: kept
        `/ip4/203.0.113.9/tcp/4001/p2p/${peer}`, // someone else's host: dropped (anti-reflection)
        `${shardAddr}/p2p-circuit/p2p/${peer}`, // through our shard: kept
        `/ip4/198.51.100.1/tcp/1/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit/p2p/${peer}`, // foreign relay: dropped
      ],
    )
    expect(res.status, await res.clone().text()).toBe(200)
    const stored = (await res.json()) as { stored: number; addrs: string[] }
    expect(stored.stored).toBe(1)
    expect(stored.addrs.sort()).toEqual(
      [`${shardAddr}/p2p-circuit/p2p/${peer}`, `/ip4/127.0.0.1/tcp/4001/ws/p2p/${peer}`].sort(),
    )

    const json = await fetch(`${edge.url}/routing/v1/providers/${cid}`, {
      headers: { accept: 'application/json' },
    })
    expect(json.status).toBe(200)
    expect(json.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await json.json()) as {
      Providers: { Schema: string; ID: string; Addrs: string[]; Protocols: string[] }[]
    }
    expect(body.Providers).toHaveLength(1)
    expect(body.Providers[0]).toMatchObject({ Schema: 'peer', ID: peer, Protocols: ['transport-bitswap'] })
    expect(body.Providers[0]!.Addrs.sort()).toEqual(stored.addrs.sort())

    // the same multihash as CIDv0 finds the same provider; NDJSON is one record a line
    const v0 = CID.parse(cid).toV1().toString()
    const nd = await fetch(`${edge.url}/routing/v1/providers/${v0}`, {
      headers: { accept: 'application/x-ndjson' },
    })
    expect(nd.status).toBe(200)
    expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ID: string })
    expect(lines.map((l) => l.ID)).toEqual([peer])

    const peers = await fetch(`${edge.url}/routing/v1/peers/${peerIdFromPrivateKey(key).toCID().toString()}`)
    expect(peers.status).toBe(200)
    const pb = (await peers.json()) as { Peers: { ID: string; Addrs: string[] }[] }
    expect(pb.Peers[0]!.ID).toBe(peer)
    expect(pb.Peers[0]!.Addrs.sort()).toEqual(stored.addrs.sort())
  })

  it('answers 404 JSON for an unknown CID or peer', async () => {
    await expectJsonError(
      await fetch(`${edge.url}/routing/v1/providers/${await randomCid()}`),
      404,
      'not_found',
    )
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    await expectJsonError(await fetch(`${edge.url}/routing/v1/peers/${stranger}`), 404, 'not_found')
  })

  it('answers 400 JSON for malformed CIDs and peer IDs, naming the value', async () => {
    for (const bad of ['not-a-cid', 'bafy%00zz', 'Qm123', 'x'.repeat(300)]) {
      const b = await expectJsonError(
        await fetch(`${edge.url}/routing/v1/providers/${bad}`),
        400,
        'invalid_input',
      )
      expect(b.message).toMatch(/cid/i)
    }
    for (const bad of ['12D3KooWnot', 'bafkqaaa', 'peer!']) {
      const b = await expectJsonError(
        await fetch(`${edge.url}/routing/v1/peers/${bad}`),
        400,
        'invalid_input',
      )
      expect(b.message).toMatch(/peer ID/i)
    }
  })

  it('refuses a forged announcement (another peer, bad signature, stale) and counts it', async () => {
    const before = await metric(edge, 'refused_forged')
    const victim = await generateKeyPair('Ed25519')
    const attacker = await generateKeyPair('Ed25519')
    const cid = (await randomCid()).toString()
    // the attacker signs a record claiming to be the victim
    const real = await signRecord(attacker, { cids: [cid], addrs: [], ttl: 600 })
    const fields = JSON.parse(Buffer.from(real.record, 'base64url').toString()) as Record<string, unknown>
    fields.peer = peerIdFromPrivateKey(victim).toString()
    const forged = {
      record: Buffer.from(JSON.stringify(fields)).toString('base64url'),
      signature: real.signature,
    }
    const res = await fetch(`${edge.url}${ROUTING_ANNOUNCE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(forged),
    })
    await expectJsonError(res, 403, 'invalid_record')
    const stale = await announce(edge, attacker, [cid], [], { ts: Date.now() - 3_600_000 })
    await expectJsonError(stale, 403, 'invalid_record')
    await expectJsonError(await fetch(`${edge.url}/routing/v1/providers/${cid}`), 404)
    await waitFor(
      'forged announcements counted in /metrics',
      async () => (await metric(edge, 'refused_forged')) >= before + 2,
      10_000,
    )
  })

  it('refuses malformed bodies with 400 JSON and other methods with 405', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${edge.url}${ROUTING_ANNOUNCE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      })
    await expectJsonError(await post('{'), 400, 'invalid_input')
    await expectJsonError(await post('{"record":"!!","signature":""}'), 400, 'invalid_input')
    await expectJsonError(await post('{}', 'text/plain'), 400, 'invalid_input')
    await expectJsonError(await post('x'.repeat(20_000)), 400, 'invalid_input')
    await expectJsonError(await post('x'.repeat(70_000)), 413)
    const get = await fetch(`${edge.url}${ROUTING_ANNOUNCE_PATH}`)
    await expectJsonError(get, 405)
    const put = await fetch(`${edge.url}/routing/v1/providers/bafkqaaa`, { method: 'PUT', body: '{}' })
    await expectJsonError(put, 405)
  })

  it('expires records after their TTL', async () => {
    const key = await generateKeyPair('Ed25519')
    const cid = (await randomCid()).toString()
    expect((await announce(edge, key, [cid], [], { ttl: 2 })).status).toBe(200)
    expect((await fetch(`${edge.url}/routing/v1/providers/${cid}`)).status).toBe(200)
    await waitFor(
      'record gone after its 2 s TTL',
      async () => (await fetch(`${edge.url}/routing/v1/providers/${cid}`)).status === 404,
      15_000,
    )
    // the alarm deletes expired rows from storage, not only hides them
    await waitFor('expiry alarm ran', async () => (await metric(edge, 'expired')) >= 1, 20_000)
  })

  it('throttles a peer past its quota (429) and bounds every shard', async () => {
    // this edge runs with 100 provider records per peer per shard and 150 records per shard (vars below)
    const fill = async (key: PrivateKey): Promise<number> => {
      for (let i = 0; i < 20; i++) {
        const batch = await Promise.all(Array.from({ length: 64 }, () => randomCid()))
        const res = await announce(edge, key, batch.map(String), [])
        if (res.status === 429) return ((await res.json()) as { throttled: number }).throttled
        expect(res.status).toBe(200)
      }
      return 0
    }
    const a = await generateKeyPair('Ed25519')
    expect(await fill(a)).toBeGreaterThan(0)
    expect(await metric(edge, 'throttled_peer')).toBeGreaterThan(0)
    const b = await generateKeyPair('Ed25519')
    expect(await fill(b)).toBeGreaterThan(0)
    expect(await metric(edge, 'shard_full')).toBeGreaterThan(0)
    const text = await (await fetch(`${edge.url}/metrics`)).text()
    for (const m of text.matchAll(/^edgeswarm_routing_records\{index="\d+",kind="provider"\} (\d+)$/gm)) {
      expect(Number(m[1])).toBeLessThanOrEqual(150)
    }
  })
})

describe('edge routing API (private network)', () => {
  let edge: Edge
  const KEY = 'routing-secret-key-0123456789'
  const auth = { authorization: `Bearer ${KEY}` }

  beforeAll(async () => {
    edge = await startEdge({ vars: { RELAY_SHARDS: '1', NETWORK_KEY: KEY } })
  })
  afterAll(async () => {
    await edge?.stop()
  })

  it('needs the network credential for every routing route', async () => {
    const key = await generateKeyPair('Ed25519')
    const cid = (await randomCid()).toString()
    await expectJsonError(await announce(edge, key, [cid], []), 401, 'unauthorized')
    await expectJsonError(await fetch(`${edge.url}/routing/v1/providers/${cid}`), 401, 'unauthorized')
    await expectJsonError(
      await fetch(`${edge.url}/routing/v1/peers/${peerIdFromPrivateKey(key).toString()}`),
      401,
      'unauthorized',
    )
    expect((await announce(edge, key, [cid], [], { headers: auth })).status).toBe(200)
    const res = await fetch(`${edge.url}/routing/v1/providers/${cid}`, { headers: auth })
    const text = await res.text()
    expectNoInternals(text)
    expect(res.status).toBe(200)
  })
})

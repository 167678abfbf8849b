/**
 * What serving the overlay's DHT costs a relay shard (issue: can the shards also be DHT servers within
 * 128 MB and 10,000 timers per isolate?). Two edges under `wrangler dev`, one shard each, `RELAY_DHT`
 * off and on; `peers` Node clients (kad-dht clients under our protocol, each holding a reservation so
 * that it has an address to announce) connect, then each provides `records` CIDs, which land in the
 * shard's DHT (the only server they know). Read per step: the isolate's V8 heap (inspector), workerd's
 * RSS and the shard's active timers (`edgeswarm_relay_timers` in /metrics).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { overlayDht } from '#shared/services/routing/dht.ts'
import { startEdge } from '../../test/helpers/edge.ts'
import { installNodeWebSocket } from '../../test/helpers/peers.ts'
import { waitFor } from '../../test/helpers/wait.ts'
import { isolateHeap } from './heap.ts'
import { findDescendants, rssBytes } from './proc.ts'

export interface ShardStep {
  step: string
  connections: number
  records: number
  heapUsedMiB: number | null
  rssMiB: number
  timers: number
}

export interface ShardDhtResult {
  off: ShardStep[]
  on: ShardStep[]
  perDhtConnection: { heapKiB: number | null; timers: number }
  perRecord: { heapBytes: number | null; timers: number }
}

const MIB = 1024 * 1024
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d

async function client(shardAddr: string, dht: boolean): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: [`${shardAddr}/p2p-circuit`] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), ping: ping(), ...(dht ? { dht: overlayDht({ server: false }) } : {}) },
  })
  await waitFor(
    'reservation on the shard',
    () => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')),
    60_000,
    50,
  )
  return node as unknown as Libp2p
}

async function timersOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Number(/^edgeswarm_relay_timers\{shard="0"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN)
}

async function run(mode: 'on' | 'off', peers: number, records: number): Promise<ShardStep[]> {
  installNodeWebSocket()
  const edge = await startEdge({
    vars: {
      RELAY_SHARDS: '1',
      NETWORK_NAME: `shard-dht-${mode}`,
      RELAY_DHT: mode,
      MAX_CONNECTIONS_PER_IP: '5000',
      MAX_CONNECTIONS: '5000',
      MAX_RESERVATIONS: '5000',
    },
  })
  const clients: Libp2p[] = []
  const steps: ShardStep[] = []
  try {
    const doc = parseBootstrapDocument(await (await fetch(`${edge.url}/v1/bootstrap`)).json())
    const shardAddr = doc.relays.find((r) => r.shard === '0')?.addrs[0]
    if (shardAddr === undefined) throw new Error('bootstrap lists no shard 0')
    const [workerd] = findDescendants(edge.process.pid!, 'workerd')
    const measure = async (step: string, stored: number) => {
      // let timers of finished handshakes and pings settle before reading
      await new Promise((r) => setTimeout(r, 3_000))
      const heap = await isolateHeap(edge.inspectorPort, true).catch(() => undefined)
      steps.push({
        step,
        connections: clients.length,
        records: stored,
        heapUsedMiB: heap === undefined ? null : round(heap.usedMiB),
        rssMiB: workerd === undefined ? Number.NaN : round(rssBytes(workerd) / MIB),
        timers: await timersOf(edge.url),
      })
    }
    await measure('idle', 0)
    for (let i = 0; i < peers; i += 10) {
      clients.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, peers - i) }, () => client(shardAddr, mode === 'on')),
        )),
      )
    }
    await measure(`${peers} peers`, 0)
    if (mode === 'on') {
      let stored = 0
      await Promise.all(
        clients.map(async (c, i) => {
          for (let r = 0; r < records; r++) {
            const cid = CID.createV1(
              raw.code,
              await sha256.digest(new TextEncoder().encode(`shard-${i}-${r}`)),
            )
            for await (const ev of (c.services.dht as KadDHT).provide(cid, {
              signal: AbortSignal.timeout(60_000),
            })) {
              if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'ADD_PROVIDER') stored++
            }
          }
        }),
      )
      await measure(`${peers} peers, ${stored} records`, stored)
    }
  } finally {
    await Promise.allSettled(clients.map((c) => c.stop()))
    await edge.stop()
  }
  return steps
}

export async function shardDhtCost(peers = 100, records = 20): Promise<ShardDhtResult> {
  const off = await run('off', peers, records)
  const on = await run('on', peers, records)
  const conn = (s: ShardStep[]) => s.find((x) => x.records === 0 && x.connections > 0)
  const [offIdle, offPeers, onIdle, onPeers, onRecords] = [off[0], conn(off), on[0], conn(on), on[2]]
  const heapDelta = (a?: ShardStep, b?: ShardStep) =>
    a?.heapUsedMiB == null || b?.heapUsedMiB == null ? null : b.heapUsedMiB - a.heapUsedMiB
  const offConn = heapDelta(offIdle, offPeers)
  const onConn = heapDelta(onIdle, onPeers)
  const rec = heapDelta(onPeers, onRecords)
  return {
    off,
    on,
    perDhtConnection: {
      heapKiB: offConn === null || onConn === null ? null : round(((onConn - offConn) * 1024) / peers),
      timers: round(
        ((onPeers?.timers ?? 0) -
          (onIdle?.timers ?? 0) -
          ((offPeers?.timers ?? 0) - (offIdle?.timers ?? 0))) /
          peers,
        2,
      ),
    },
    perRecord: {
      heapBytes: rec === null || !onRecords?.records ? null : Math.round((rec * MIB) / onRecords.records),
      timers: round(
        ((onRecords?.timers ?? 0) - (onPeers?.timers ?? 0)) / Math.max(1, onRecords?.records ?? 1),
        3,
      ),
    },
  }
}

if (import.meta.main) {
  const r = await shardDhtCost(
    Number(process.env.SHARD_DHT_PEERS ?? 100),
    Number(process.env.SHARD_DHT_RECORDS ?? 20),
  )
  console.log(JSON.stringify(r, null, 2))
  process.exit(0)
}

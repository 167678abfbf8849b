/**
 * Interop: a stock Helia node (bitswap) fetches a file shared by an edgeswarm peer by its CID — over a
 * direct connection, and from a real `edgeswarm node` daemon through the edge relay (workerd), where
 * the only path Helia is given is the daemon's circuit address on a relay shard.
 */
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, describe, expect, it } from 'vitest'
import { cliJson, type RunningDaemon, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { createFilesPeer, pseudoRandom } from '../helpers/files-peers.ts'
import { createStockHelia } from '../helpers/helia.ts'
import { waitFor } from '../helpers/wait.ts'

const MiB = 1024 * 1024
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

const cleanup: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {})
})

describe('files interop: stock Helia fetches from edgeswarm over bitswap', () => {
  it('directly', async () => {
    const data = pseudoRandom(5 * MiB + 3, 41)
    const peer = await createFilesPeer()
    cleanup.push(peer.stop)
    const { cid } = await peer.files.share([{ path: 'f', content: [data] }])
    const helia = await createStockHelia()
    cleanup.push(helia.stop)
    await helia.libp2p.dial(peer.node.getMultiaddrs()[0]!)
    const got = await helia.cat(cid, { signal: AbortSignal.timeout(60_000) })
    expect(sha(got)).toBe(sha(data))
  })

  it('through the edge relay from a daemon', async () => {
    const edge: Edge = await startEdge()
    cleanup.push(edge.stop)
    const daemon: RunningDaemon = await startDaemon({ bootstrap: edge.url, startTimeoutMs: 120_000 })
    cleanup.push(daemon.stop)
    const data = pseudoRandom(3 * MiB, 43)
    const file = join(daemon.dataDir, 'interop.bin')
    writeFileSync(file, data)
    const { cid } = await cliJson<{ cid: string }>(['share', file], { dataDir: daemon.dataDir })
    const circuit = await waitFor('a circuit address of the daemon', async () => {
      const s = await cliJson<{ reservations: Array<{ addrs?: string[] }> }>(['status'], {
        dataDir: daemon.dataDir,
      })
      // a stock peer dials plain WebSocket addresses: shard 0's, not a `/http-path/` shard's (the daemon
      // reserves on both, and which one comes first in `status` depends on which answered first)
      return s.reservations
        .flatMap((r) => r.addrs ?? [])
        .find((a) => a.includes('/p2p-circuit') && !a.includes('/http-path'))
    })
    const helia = await createStockHelia()
    cleanup.push(helia.stop)
    const conn = await helia.libp2p.dial(multiaddr(circuit))
    expect(conn.remoteAddr.toString()).toContain('/p2p-circuit')
    const got = await helia.cat(cid, { signal: AbortSignal.timeout(90_000) })
    expect(sha(got)).toBe(sha(data))
    // the blocks crossed the relayed connection: Helia has no other connection to the daemon
    const toDaemon = helia.libp2p.getConnections().filter((c) => c.remotePeer.toString() === daemon.peerId)
    expect(toDaemon.every((c) => c.remoteAddr.toString().includes('/p2p-circuit'))).toBe(true)
  })
})

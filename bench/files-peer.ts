/**
 * One peer of the files benchmark, run inside a lab namespace by bench/files.ts. Reads its job as JSON
 * from argv[2], prints JSON lines on stdout (`{ready}` then `{result}`), takes `go` lines on stdin.
 *
 * - `seed`: shares a deterministic file over the files service (and bitswap), and serves the same bytes
 *   over plain HTTP for the single-source baseline;
 * - `get`: downloads with edgeswarm (`files.get`), stock Helia (bitswap), or HTTP, then reports.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { ServiceHost } from '#shared/peer/service.ts'
import { memoryStorage } from '#shared/peer/storage.ts'
import { type FilesApi, filesService } from '#shared/services/files/service.ts'
import { pseudoRandom } from '../test/helpers/files-peers.ts'
import { createStockHelia } from '../test/helpers/helia.ts'

interface Job {
  role: 'seed' | 'get'
  ip: string
  mib: number
  seed: number
  mode?: 'edgeswarm' | 'helia' | 'http'
  cid?: string
  httpUrl?: string
}

const job = JSON.parse(process.argv[2]!) as Job
const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`)

async function filesPeer() {
  const host = new ServiceHost([filesService()])
  const env = {
    runtime: 'node' as const,
    edgeUrl: 'http://127.0.0.1:1',
    storage: memoryStorage(),
    isPublic: () => true,
  }
  const node = await createLibp2p({
    addresses: { listen: [`/ip4/${job.ip}/tcp/4001`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    // as in the product's peers (shared/src/peer/libp2p-options.ts): js-libp2p's monitor pings on the
    // connection itself and aborts it when an echo waits more than ~5 s behind a shaped bulk transfer
    connectionMonitor: { enabled: false },
    services: { identify: identify(), ...host.libp2pServices(env) },
  })
  // FILES_BENCH_DEBUG=1: the files service's events on stderr (shown when a peer fails)
  const events = process.env.FILES_BENCH_DEBUG
    ? (event: string, fields?: object) => {
        process.stderr.write(`${JSON.stringify({ t: Date.now(), event, ...fields })}\n`)
      }
    : () => {}
  await host.start({ ...env, node: node as never, events })
  return { node, files: host.get<FilesApi>('files')! }
}

const lines = createInterface({ input: process.stdin })
const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve))

if (job.role === 'seed') {
  const data = pseudoRandom(job.mib * 1024 * 1024, job.seed)
  const { node, files } = await filesPeer()
  const { cid } = await files.share([{ path: 'bench.bin', content: [data] }])
  createServer((_req, res) => {
    res.writeHead(200, { 'content-length': data.byteLength })
    res.end(data)
  }).listen(8080, job.ip)
  say({ ready: true, addr: node.getMultiaddrs()[0]!.toString(), cid })
  for (;;) if ((await nextLine()) === 'served') say({ served: files.servedBytes() })
} else {
  const mode = job.mode ?? 'edgeswarm'
  // the download ends when `bytes` resolves; `read` (edgeswarm) then reads the stored file back for the
  // SHA-256 check, outside the timing: the file is complete and verified before it
  let dialAndGet: (addrs: string[]) => Promise<{
    bytes?: Uint8Array
    read?: () => Promise<Uint8Array>
    peers: number
    overheadBytes: number
  }>
  if (mode === 'edgeswarm') {
    const { node, files } = await filesPeer()
    say({ ready: true, addr: node.getMultiaddrs()[0]!.toString() })
    dialAndGet = async (addrs) => {
      await Promise.all(addrs.map((a) => node.dial(multiaddr(a)).catch(() => undefined)))
      const r = await files.get(job.cid!, { findTimeoutMs: 60_000 })
      return { read: () => files.getBytes(job.cid!), peers: r.peers.length, overheadBytes: r.overheadBytes }
    }
  } else if (mode === 'helia') {
    // stock but for the connection monitor, which the bench's own peers turn off too (see filesPeer)
    const helia = await createStockHelia({ monitor: false })
    say({ ready: true })
    dialAndGet = async (addrs) => {
      await Promise.all(addrs.map((a) => helia.libp2p.dial(multiaddr(a)).catch(() => undefined)))
      return {
        bytes: await helia.cat(job.cid!),
        peers: helia.libp2p.getConnections().length,
        overheadBytes: 0,
      }
    }
  } else {
    say({ ready: true })
    dialAndGet = async () => {
      const res = await fetch(job.httpUrl!)
      return { bytes: new Uint8Array(await res.arrayBuffer()), peers: 1, overheadBytes: 0 }
    }
  }
  const go = JSON.parse(await nextLine()) as { dial: string[] }
  const started = performance.now()
  const r = await dialAndGet(go.dial)
  const ms = performance.now() - started
  const readStarted = performance.now()
  const bytes = r.bytes ?? (await r.read!())
  const readMs = performance.now() - readStarted
  say({
    result: true,
    ms: Math.round(ms),
    readMs: Math.round(readMs),
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    peers: r.peers,
    overheadBytes: r.overheadBytes,
  })
  // what you download, you serve: the peer stays up (a flash crowd's finished downloaders keep
  // serving the others, as a daemon does) until the bench stops it
  for (;;) await nextLine()
}

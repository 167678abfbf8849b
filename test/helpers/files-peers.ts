/**
 * In-process peers running the real `files` service over real libp2p TCP connections on 127.0.0.1,
 * for swarm tests that need many peers without many daemons (memory storage, no edge).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { ServiceHost } from '#shared/peer/service.ts'
import { memoryStorage, type PeerStorage } from '#shared/peer/storage.ts'
import type { FilesApi } from '#shared/services/files/service.ts'
import { filesService } from '#shared/services/files/service.ts'

export interface FilesPeer {
  node: Libp2p
  files: FilesApi
  host: ServiceHost
  storage: PeerStorage
  events: Array<{ name: string; fields: Record<string, unknown> }>
  stop: () => Promise<void>
}

export async function createFilesPeer(opts: { storage?: PeerStorage } = {}): Promise<FilesPeer> {
  const storage = opts.storage ?? memoryStorage()
  const host = new ServiceHost([filesService()])
  const env = { runtime: 'node' as const, edgeUrl: 'http://127.0.0.1:1', storage, isPublic: () => false }
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ...host.libp2pServices(env) },
  })
  const events: FilesPeer['events'] = []
  await host.start({
    ...env,
    node: node as never,
    events: (name, fields = {}) => void events.push({ name, fields }),
  })
  return {
    node,
    files: host.get<FilesApi>('files')!,
    host,
    storage,
    events,
    stop: async () => {
      await host.stop(() => {})
      await node.stop()
    },
  }
}

/** Deterministic pseudo-random bytes (xorshift), so a test can regenerate what it shared. */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
    out[i + 1] = (x >>> 8) & 0xff
    out[i + 2] = (x >>> 16) & 0xff
    out[i + 3] = (x >>> 24) & 0xff
  }
  return out
}

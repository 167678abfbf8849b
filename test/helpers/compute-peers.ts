/**
 * In-process peers running the shared compute service over real libp2p connections (TCP on loopback,
 * noise, yamux, identify): coordinators and workers for compute tests and the compute benchmark.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, identifyPush } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { ServiceHost } from '#shared/peer/service.ts'
import { memoryStorage, type PeerStorage } from '#shared/peer/storage.ts'
import type { TaskExecutor } from '#shared/services/compute/executor.ts'
import { type Compute, computeService } from '#shared/services/compute/index.ts'

export interface ComputePeer {
  node: Libp2p
  compute: Compute
  host: ServiceHost
  addr: string
  stop: () => Promise<void>
}

export async function computePeer(storage: PeerStorage = memoryStorage()): Promise<ComputePeer> {
  const host = new ServiceHost([computeService()])
  const node = (await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), identifyPush: identifyPush(), ping: ping() },
  })) as unknown as Libp2p<Record<string, unknown>>
  await host.start({
    node,
    events: () => {},
    runtime: 'node',
    edgeUrl: 'http://127.0.0.1:1',
    storage,
    isPublic: () => false,
  })
  return {
    node,
    host,
    compute: host.get<Compute>('compute')!,
    addr: node.getMultiaddrs()[0]!.toString(),
    stop: async () => {
      await host.stop(() => {})
      await node.stop()
    },
  }
}

/** Inputs of the example job: row numbers as little-endian u64 (what `--range` feeds). */
export function rangeInputs(from: number, to: number, limit?: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let y = from; y <= to; y++) {
    const b = new Uint8Array(limit === undefined ? 8 : 12)
    const v = new DataView(b.buffer)
    v.setBigUint64(0, BigInt(y), true)
    if (limit !== undefined) v.setUint32(8, limit, true)
    out.push(b)
  }
  return out
}

/**
 * A lying worker's executor (test double): runs each task, then returns every `every`-th result with
 * its first byte changed, counting each lie in `counter.lies`.
 */
export function lyingExecutor(inner: TaskExecutor, every: number, counter: { lies: number }): TaskExecutor {
  let n = 0
  return {
    slots: inner.slots,
    capacity: inner.capacity,
    close: () => inner.close(),
    async run(m, input, limits) {
      const r = await inner.run(m, input, limits)
      if (++n % every !== 0) return r
      counter.lies++
      const bad = r.output.slice()
      bad[0] = (bad[0]! + 1) % 256
      return { output: bad, ms: r.ms }
    },
  }
}

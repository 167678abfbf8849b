/**
 * Interop: this peer also answers bitswap (the stock IPFS block exchange), so a stock Helia or Kubo node
 * can fetch a shared file by CID from it. It serves blocks; it never fetches (edgeswarm downloads use
 * `/edgeswarm/files/1.0.0`).
 *
 * `@helia/bitswap` 4 is published only as a Helia mixin (`withBitswap`). Importing `helia` for a host
 * object would load Helia's whole default stack (its own libp2p defaults: HTTP, UPnP, AutoNAT, TLS:
 * about 900 modules, seconds of every daemon start), so the mixin runs on a small host instead: the
 * running libp2p node, the files blockstore, SHA-256 and no routers (a server never looks for
 * providers). What the host must offer is exactly what the mixin and its broker use (`status`,
 * `addMixin`, `hasBlockBroker`, `addBlockBroker` and the `BitswapComponents`); the files-helia e2e test
 * (a stock Helia fetching through this server) fails if that changes.
 */
import { withBitswap } from '@helia/bitswap'
import type { Libp2p, Startable } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import { sha256 } from 'multiformats/hashes/sha2'

export interface BitswapServer {
  stop: () => Promise<void>
}

interface Mixin {
  start: (host: BitswapHost) => Promise<void>
}

type BitswapHost = ReturnType<typeof host>

function host(node: Libp2p, blockstore: Blockstore) {
  const mixins: Mixin[] = []
  const brokers: Startable[] = []
  return {
    status: 'starting' as const,
    libp2p: node,
    blockstore,
    logger: node.logger,
    // a serving-only peer: bitswap asks the routers only when it fetches, which this one never does
    routing: {
      async *findProviders() {},
      async provide() {},
    },
    getHasher: async (code: number) => {
      if (code === sha256.code) return sha256
      throw new Error(`unsupported hash 0x${code.toString(16)}`)
    },
    addMixin: (m: Mixin) => mixins.push(m),
    hasBlockBroker: (name: string) => brokers.some((b) => (b as { name?: string }).name === name),
    addBlockBroker: (b: Startable) => brokers.push(b),
    mixins,
    brokers,
  }
}

export async function startBitswap(node: Libp2p, blockstore: Blockstore): Promise<BitswapServer> {
  const h = host(node, blockstore)
  // relayed connections: our relays carry real traffic, so bitswap may use them
  withBitswap(
    h as unknown as Parameters<typeof withBitswap>[0],
    {
      runOnLimitedConnections: true,
    } as Parameters<typeof withBitswap>[1],
  )
  for (const m of h.mixins) await m.start(h)
  if (h.brokers.length === 0) throw new Error('@helia/bitswap added no block broker (mixin API changed?)')
  return {
    stop: async () => {
      for (const b of h.brokers) await b.stop?.()
    },
  }
}

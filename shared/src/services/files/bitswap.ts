/**
 * Interop: this peer also answers bitswap (the stock IPFS block exchange), so a stock Helia or Kubo node
 * can fetch a shared file by CID from it. Helia 7 exposes bitswap only as a mixin, so a minimal Helia
 * (no libp2p of its own, no routers) is wrapped around the running libp2p node and the files blockstore.
 * It serves blocks; it never fetches (edgeswarm downloads use `/edgeswarm/files/1.0.0`).
 */
import { withBitswap } from '@helia/bitswap'
import type { Libp2p } from '@libp2p/interface'
import { createHeliaLight } from 'helia'
import type { Blockstore } from 'interface-blockstore'

export interface BitswapServer {
  stop: () => Promise<void>
}

export async function startBitswap(node: Libp2p, blockstore: Blockstore): Promise<BitswapServer> {
  const helia = createHeliaLight({ blockstore })
  // the libp2p node already runs: hand it to bitswap instead of letting Helia create one
  Object.defineProperty(helia, 'libp2p', { value: node, configurable: true, enumerable: true })
  // relayed connections: our relays carry real traffic, so bitswap may use them
  withBitswap(
    helia as Parameters<typeof withBitswap>[0],
    { runOnLimitedConnections: true } as Parameters<typeof withBitswap>[1],
  )
  await helia.start()
  return {
    stop: async () => {
      await helia.stop()
    },
  }
}

/**
 * A stock Helia node (Helia's own composition: `createHeliaLight` + `withLibp2pLight` + `withBitswap`,
 * i.e. `createHelia` without its HTTP gateways and public bootstrap/delegated routers, so that a test
 * sends nothing beyond loopback). It fetches by CID over bitswap from the peers it is connected to.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import { allowHttpPath } from '#shared/http-path.ts'

export interface StockHelia {
  libp2p: Libp2p
  /** Fetches a file by CID (bitswap) and returns its bytes. */
  cat: (cid: string, options?: { signal?: AbortSignal }) => Promise<Uint8Array>
  stop: () => Promise<void>
}

/**
 * `monitor: false` turns off js-libp2p's connection monitor: its pings wait behind a shaped bulk
 * transfer and abort the connection (the files bench at 10 Mbit/s: stock Helia lost its seeders and,
 * with no routing to find them again, waited forever).
 */
export async function createStockHelia(options: { monitor?: boolean } = {}): Promise<StockHelia> {
  const helia = withBitswap(
    withLibp2pLight(createHeliaLight({ blockstore: new MemoryBlockstore() }), {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp(), allowHttpPath(webSockets()), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify() },
      ...(options.monitor === false ? { connectionMonitor: { enabled: false } } : {}),
    }),
  )
  await helia.start()
  const fs = unixfs(helia)
  return {
    libp2p: helia.libp2p as unknown as Libp2p,
    async cat(cid, options = {}) {
      const parts: Uint8Array[] = []
      for await (const p of fs.cat(CID.parse(cid), options)) parts.push(p)
      const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
      let o = 0
      for (const p of parts) {
        out.set(p, o)
        o += p.byteLength
      }
      return out
    },
    stop: async () => {
      await helia.stop()
    },
  }
}

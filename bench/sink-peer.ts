/**
 * The receiving peer of the relay benchmark, in its own process so that sender and receiver do not
 * share one core (each relayed byte is encrypted twice on each side: hop connection + end-to-end).
 * Listens on the addresses given as arguments (a `<relay>/p2p-circuit` address reserves on that relay),
 * serves the sink protocol, and prints one JSON line `{ "peerId", "addrs" }` once it is reachable.
 */
import { waitFor } from '../scripts/lib/wait.ts'
import { createClient } from './lib/client.ts'
import { handleSink } from './lib/sink.ts'

const listen = process.argv.slice(2)
const node = await createClient({ listen })
await handleSink(node)
if (listen.some((a) => a.endsWith('/p2p-circuit'))) {
  await waitFor(
    'a relay reservation',
    () => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')),
    30_000,
    25,
  )
}
console.log(JSON.stringify({ peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) }))
process.on('SIGTERM', () => {
  Promise.resolve(node.stop()).then(
    () => process.exit(0),
    () => process.exit(1),
  )
})

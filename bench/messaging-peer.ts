/**
 * A worker process of the messaging benchmark (bench/messaging.ts): hosts several bench peers
 * (bench/lib/bus-peer.ts) on Node. Reads one JSON command a line on stdin (`{ req, cmd }`), answers
 * `{ req, reply }` or `{ req, error }` on stdout, and writes events (`{ event: 'ready', ... }`) there too.
 * Non-relay-only peers also listen on loopback WebSockets, so tabs and other peers can reach them
 * directly; relay-only peers are reached through their shard only.
 */
import { createInterface } from 'node:readline'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webSockets } from '@libp2p/websockets'
import { allowHttpPath } from '#shared/http-path.ts'
import { circuitListenViaHttpPath, installNodeWebSocket } from '../test/helpers/peers.ts'
import { type BusCommand, BusHost } from './lib/bus-peer.ts'

installNodeWebSocket()

const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`)

const host = new BusHost(
  {
    transports: () => [
      allowHttpPath(webSockets()),
      circuitListenViaHttpPath(
        allowHttpPath(circuitRelayTransport({ reservationCompletionTimeout: 30_000 })),
      ),
    ],
    listen: (relay, relayOnly) => [`${relay}/p2p-circuit`, ...(relayOnly ? [] : ['/ip4/127.0.0.1/tcp/0/ws'])],
  },
  say,
)

// the coordinator's end of stdin closing (it exited or failed) ends this process too
const lines = createInterface({ input: process.stdin })
lines.on('close', () => process.exit(0))
lines.on('line', (line) => {
  const { req, cmd } = JSON.parse(line) as { req: number; cmd: BusCommand }
  host.handle(cmd).then(
    (reply) => {
      say({ req, reply })
      if (cmd.op === 'close') process.exit(0)
    },
    (err: Error) => say({ req, error: err.message }),
  )
})

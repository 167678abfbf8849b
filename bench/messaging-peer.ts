/**
 * A worker process of the messaging benchmark (bench/messaging.ts): hosts several bench peers
 * (bench/lib/bus-peer.ts) on Node. Reads one JSON command a line on stdin (`{ req, cmd }`), answers
 * `{ req, reply }` or `{ req, error }` on stdout, and writes events (`{ event: 'ready', ... }`) there too.
 * Non-relay-only peers also listen on loopback WebSockets, so tabs and other peers can reach them
 * directly; relay-only peers are reached through their shard only.
 *
 * With `BENCH_MSG_PROFILE_DIR` set, each worker records a V8 CPU profile from the `mark` command (the
 * start of publishing) to the `report` command and writes it there as `<pid>.cpuprofile` (Chrome
 * DevTools reads it): where a worker's CPU goes while it carries the topic, start-up excluded.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
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

const profileDir = process.env.BENCH_MSG_PROFILE_DIR
let profiler: Session | undefined

/** Starts (`mark`) or stops and writes (`report`) the publishing window's CPU profile, when asked for one. */
async function profile(op: BusCommand['op']): Promise<void> {
  if (profileDir === undefined) return
  if (op === 'mark' && profiler === undefined) {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  } else if (op === 'report' && profiler !== undefined) {
    const { profile: p } = await profiler.post('Profiler.stop')
    writeFileSync(join(profileDir, `${process.pid}.cpuprofile`), JSON.stringify(p))
    profiler.disconnect()
    profiler = undefined
  }
}

// the coordinator's end of stdin closing (it exited or failed) ends this process too
const lines = createInterface({ input: process.stdin })
lines.on('close', () => process.exit(0))
lines.on('line', (line) => {
  const { req, cmd } = JSON.parse(line) as { req: number; cmd: BusCommand }
  profile(cmd.op)
    .then(() => host.handle(cmd))
    .then(
      (reply) => {
        say({ req, reply })
        if (cmd.op === 'close') process.exit(0)
      },
      (err: Error) => say({ req, error: err.message }),
    )
})

/**
 * `edgeswarm` command line: the only file that reads process.argv or calls process.exit.
 *
 * ```sh
 * edgeswarm node --bootstrap http://127.0.0.1:8787 --data-dir ./a   # run a home node (foreground)
 * edgeswarm status --data-dir ./a --json                             # ask the running daemon
 * edgeswarm send <peerId> --bytes 8388608 --data-dir ./a --json
 * ```
 * Errors print one line (`edgeswarm: <name>: <message>`) and exit 1 (2 for usage errors); `--debug`
 * adds the stack.
 */
import { parseArgs } from 'node:util'
import { InvalidInputError, toError } from '../../shared/src/errors.ts'
import { installPublicCidrHook } from './nat/public-cidr.ts'
import { defaultDataDir, type NodeOptionsInit } from './options.ts'

const USAGE = `usage:
  edgeswarm node --bootstrap <URL> [--data-dir D] [--listen <multiaddr>]... [--stun <url>]...
                 [--network-key K] [--relay] [--public-cidr <cidr>]... [--no-webrtc]
                 [--control-port N] [--log-level error|warn|info|debug] [--debug]
                 [--worker [--cpus N]]   (contribute CPU to compute jobs)
  edgeswarm status [--json] [--data-dir D]
  edgeswarm dial <peerId> [--wait-direct MS] [--json] [--data-dir D]
  edgeswarm ping <peerId> [--count N] [--json] [--data-dir D]
  edgeswarm send <peerId> --bytes N [--path any|direct|relayed] [--json] [--data-dir D]
  edgeswarm transfers [--json] [--data-dir D]
environment: EDGESWARM_DATA_DIR (default data dir ~/.edgeswarm), EDGESWARM_NETWORK_KEY`

const COMMON = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const NODE_FLAGS = {
  ...COMMON,
  bootstrap: { type: 'string' },
  listen: { type: 'string', multiple: true },
  stun: { type: 'string', multiple: true },
  'network-key': { type: 'string' },
  relay: { type: 'boolean' },
  'public-cidr': { type: 'string', multiple: true },
  'no-webrtc': { type: 'boolean' },
  'control-port': { type: 'string' },
  'log-level': { type: 'string' },
  worker: { type: 'boolean' },
  cpus: { type: 'string' },
} as const

class UsageError extends Error {
  override readonly name = 'UsageError'
}

function intFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InvalidInputError(
      `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`,
    )
  }
  return Number(raw)
}

/** Accepts `8388608`, `8MiB`, `64KiB`, `1GiB`, `10MB`. */
function sizeFlag(raw: string | undefined): number {
  const m = /^([0-9]+)(B|KiB|MiB|GiB|KB|MB|GB)?$/.exec(raw ?? '')
  if (m === null)
    throw new InvalidInputError(
      `--bytes must be a size such as 8388608 or 8MiB, got ${JSON.stringify(raw ?? '')}`,
    )
  const mult: Record<string, number> = {
    B: 1,
    KiB: 1024,
    MiB: 1024 ** 2,
    GiB: 1024 ** 3,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
  }
  return Number(m[1]) * mult[m[2] ?? 'B']!
}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>

function parse(args: string[], options: FlagSpec, positionals: number) {
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!)
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(
      positionals === 0
        ? `unexpected argument ${JSON.stringify(parsed.positionals[0])}`
        : `expected exactly ${positionals} argument (a peer ID), got ${parsed.positionals.length}`,
    )
  }
  return parsed as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }
}

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`)
}

async function runNode(args: string[]): Promise<void> {
  const { values: v } = parse(args, NODE_FLAGS, 0)
  if (v.help === true) return void process.stdout.write(`${USAGE}\n`)
  const init: NodeOptionsInit = {
    ...(v.bootstrap === undefined ? {} : { bootstrap: v.bootstrap as string }),
    ...(v['data-dir'] === undefined ? {} : { dataDir: v['data-dir'] as string }),
    ...(v.listen === undefined ? {} : { listen: v.listen as string[] }),
    ...(v.stun === undefined ? {} : { stun: v.stun as string[] }),
    ...(v['network-key'] === undefined ? {} : { networkKey: v['network-key'] as string }),
    ...(v['public-cidr'] === undefined ? {} : { publicCidr: v['public-cidr'] as string[] }),
    ...(v['log-level'] === undefined ? {} : { logLevel: v['log-level'] as string }),
    relay: v.relay === true,
    debug: v.debug === true,
    noWebrtc: v['no-webrtc'] === true,
  }
  const port = intFlag('control-port', v['control-port'] as string | undefined, 0, 65535)
  if (port !== undefined) init.controlPort = port
  if (v.worker === true) init.worker = true
  const cpus = intFlag('cpus', v.cpus as string | undefined, 1, 1024)
  if (cpus !== undefined) init.cpus = cpus
  const { resolveNodeOptions } = await import('./options.ts')
  const options = resolveNodeOptions(init)
  // must precede the first import of libp2p (see nat/public-cidr.ts)
  installPublicCidrHook()
  const { createEventLog } = await import('./events.ts')
  const { ensureDataDir } = await import('./identity.ts')
  await ensureDataDir(options.dataDir)
  const { join } = await import('node:path')
  const events = createEventLog({ level: options.logLevel, file: join(options.dataDir, 'events.jsonl') })
  // a stray rejection inside a library (WebRTC, a peer's stream) must not take the node down
  const report = (kind: string) => (err: unknown) =>
    events('node.error', { kind, error: toError(err).message.split('\n')[0] }, 'error')
  process.on('unhandledRejection', report('unhandledRejection'))
  process.on('uncaughtException', report('uncaughtException'))
  const { startDaemon } = await import('./daemon.ts')
  const daemon = await startDaemon(options, events)
  process.stdout.write(
    `edgeswarm: node ${daemon.node.peerId} running (events on stderr and in ${join(options.dataDir, 'events.jsonl')})\n` +
      `edgeswarm: try: edgeswarm status --data-dir ${options.dataDir}\n`,
  )
  let signals = 0
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(130)
    events('node.stopping', { signal })
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    void daemon.stop().then(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

function dataDirOf(v: Record<string, unknown>): string {
  return typeof v['data-dir'] === 'string' ? (v['data-dir'] as string) : defaultDataDir()
}

async function runClient(command: string, args: string[]): Promise<void> {
  const { callDaemon } = await import('./control/client.ts')
  const flags = (
    {
      status: COMMON,
      transfers: COMMON,
      dial: { ...COMMON, 'wait-direct': { type: 'string' } },
      ping: { ...COMMON, count: { type: 'string' } },
      send: { ...COMMON, bytes: { type: 'string' }, path: { type: 'string' } },
    } as Record<string, FlagSpec>
  )[command]!
  const { values: v, positionals } = parse(
    args,
    flags,
    command === 'status' || command === 'transfers' ? 0 : 1,
  )
  if (v.help === true) return void process.stdout.write(`${USAGE}\n`)
  const dir = dataDirOf(v)
  const json = v.json === true
  const peer = positionals[0]
  if (command === 'status') {
    const s = (await callDaemon(dir, 'GET', '/v1/status')) as StatusView
    return print(json, s, () => formatStatus(s))
  }
  if (command === 'transfers') {
    const t = (await callDaemon(dir, 'GET', '/v1/transfers')) as { received: Array<Record<string, unknown>> }
    return print(json, t, () =>
      t.received.map((r) => `${r.peer} ${r.bytes} B sha256 ${r.sha256} via ${r.path}`).join('\n'),
    )
  }
  if (command === 'dial') {
    const waitDirectMs = intFlag('wait-direct', v['wait-direct'] as string | undefined, 0, 600_000) ?? 0
    const r = (await callDaemon(
      dir,
      'POST',
      '/v1/dial',
      { peer, waitDirectMs },
      30_000 + waitDirectMs,
    )) as Record<string, unknown>
    return print(json, r, () => `connected to ${r.peer} via ${r.label} (${r.remoteAddr})`)
  }
  if (command === 'ping') {
    const count = intFlag('count', v.count as string | undefined, 1, 100) ?? 1
    const r = (await callDaemon(dir, 'POST', '/v1/ping', { peer, count }, 30_000 + count * 6_000)) as {
      rttsMs: number[]
      label: string
    }
    return print(json, r, () =>
      r.rttsMs.map((ms, i) => `ping ${peer} seq=${i + 1} time=${ms} ms via ${r.label}`).join('\n'),
    )
  }
  const bytes = sizeFlag(v.bytes as string | undefined)
  const timeoutMs = 60_000 + Math.ceil(bytes / 1e6) * 1_000
  const r = (await callDaemon(
    dir,
    'POST',
    '/v1/send',
    { peer, bytes, path: v.path ?? 'any' },
    timeoutMs,
  )) as Record<string, unknown>
  print(
    json,
    r,
    () =>
      `sent ${r.bytes} B to ${r.peer} via ${r.label} in ${r.ms} ms (${r.mbps} MB/s)\nsha256 ${r.sha256} ${r.match === true ? 'matches the receiver' : `MISMATCH: receiver ${r.remoteSha256}`}`,
  )
  if (r.match !== true) process.exitCode = 1
}

interface StatusView {
  peerId: string
  reachability: string
  reason: string
  reservations: Array<{ kind?: string; shard?: string; relay: string }>
  connections: Array<{ peer: string; label: string; role: string; rttMs?: number; verified?: boolean }>
}

function formatStatus(s: StatusView): string {
  const lines = [
    `peer ID       ${s.peerId}`,
    `reachability  ${s.reachability} (${s.reason})`,
    `reservations  ${s.reservations.length === 0 ? 'none' : ''}`,
    ...s.reservations.map((r) =>
      r.kind === 'super-peer' ? `  super-peer ${r.relay}` : `  shard ${r.shard}  relay ${r.relay}`,
    ),
    `connections   ${s.connections.length === 0 ? 'none' : ''}`,
    ...s.connections.map(
      (c) =>
        `  ${c.role === 'relay' ? 'relay' : 'peer '} ${c.peer}  ${c.label}${c.verified === false ? ' (dead)' : ''}  rtt ${c.rttMs ?? '?'} ms`,
    ),
  ]
  return lines.join('\n')
}

/** Commands of the overlay services (node/src/commands/), parsed by commander. */
async function runServiceCommand(command: string, argv: string[]): Promise<void> {
  const { serviceProgram } = await import('./commands/index.ts')
  const program = serviceProgram()
  if (!program.commands.some((c) => c.name() === command)) {
    throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if ((err as { code?: string }).code === 'commander.helpDisplayed') return
    throw err
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const debug = argv.includes('--debug')
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`)
      return command === undefined ? 2 : 0
    }
    if (command === 'node') await runNode(rest)
    else if (['status', 'dial', 'ping', 'send', 'transfers'].includes(command)) await runClient(command, rest)
    else await runServiceCommand(command, argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (raw) {
    const err = toError(raw)
    process.stderr.write(`edgeswarm: ${err.name}: ${err.message.split('\n')[0]}\n`)
    if (err.name === 'UsageError') process.stderr.write('run `edgeswarm --help` for usage\n')
    if (debug && err.stack !== undefined) process.stderr.write(`${err.stack}\n`)
    return err.name === 'UsageError' ? 2 : 1
  }
}

const code = await main(process.argv.slice(2))
// the daemon keeps running (its sockets hold the event loop); everything else exits now
if (process.argv[2] !== 'node' || code !== 0) process.exit(code)

/**
 * The daemon's client commands: `status`, `dial`, `ping`, `send`, `transfers`. Each asks the running
 * daemon through the control API (`callDaemon`, loaded on use so that `--help` stays fast) and prints
 * text, or JSON with `--json`.
 */
import type { Command } from 'commander'
import { intFlag, sizeFlag } from './flags.ts'
import { type ClientFlags, clientCommand, dataDirOf, onePeer } from './program.ts'

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`)
}

async function call(flags: ClientFlags, method: 'GET' | 'POST', route: string, body?: object, ms?: number) {
  const { callDaemon } = await import('../control/client.ts')
  return callDaemon(dataDirOf(flags), method, route, body as Record<string, unknown> | undefined, ms)
}

interface StatusView {
  peerId: string
  reachability: string
  reason: string
  reservations: Array<{ kind?: string; shard?: string; relay: string }>
  connections: Array<{
    peer: string
    label: string
    role: string
    rttMs?: number
    verified?: boolean
    neighbour?: boolean
  }>
  routing?: { mode: string; routingTableSize: number; neighbours: string[]; target: number } | null
}

export function formatStatus(s: StatusView): string {
  const lines = [
    `peer ID       ${s.peerId}`,
    `reachability  ${s.reachability} (${s.reason})`,
    `reservations  ${s.reservations.length === 0 ? 'none' : ''}`,
    ...s.reservations.map((r) =>
      r.kind === 'super-peer' ? `  super-peer ${r.relay}` : `  shard ${r.shard}  relay ${r.relay}`,
    ),
    ...(s.routing == null
      ? []
      : [
          `routing       DHT ${s.routing.mode}, routing table ${s.routing.routingTableSize} peers, neighbours ${s.routing.neighbours.length} / ${s.routing.target}`,
        ]),
    `connections   ${s.connections.length === 0 ? 'none' : ''}`,
    ...s.connections.map(
      (c) =>
        `  ${c.role === 'relay' ? 'relay' : c.neighbour === true ? 'nbr  ' : 'peer '} ${c.peer}  ${c.label}${c.verified === false ? ' (dead)' : ''}  rtt ${c.rttMs ?? '?'} ms`,
    ),
  ]
  return lines.join('\n')
}

type Flags<T = object> = ClientFlags & T

export function registerPeerCommands(program: Command): void {
  clientCommand(program, 'status', "the daemon's peer ID, reachability, reservations and connections").action(
    async (f: Flags) => {
      const s = (await call(f, 'GET', '/v1/status')) as StatusView
      print(f.json, s, () => formatStatus(s))
    },
  )

  clientCommand(program, 'dial [peerId]', 'connect to a peer; prints the path taken')
    .option('--wait-direct <ms>', 'wait up to this long for a direct path (0 = do not wait)')
    .allowExcessArguments(true)
    .action(async (_: unknown, f: Flags<{ waitDirect?: string }>, cmd: Command) => {
      const peer = onePeer(cmd.args)
      const waitDirectMs = intFlag('wait-direct', f.waitDirect, 0, 600_000) ?? 0
      const r = (await call(f, 'POST', '/v1/dial', { peer, waitDirectMs }, 30_000 + waitDirectMs)) as Record<
        string,
        unknown
      >
      print(f.json, r, () => `connected to ${r.peer} via ${r.label} (${r.remoteAddr})`)
    })

  clientCommand(program, 'ping [peerId]', 'ping a peer; prints each RTT and the path')
    .option('--count <n>', 'pings to send, 1-100 (default 1)')
    .allowExcessArguments(true)
    .action(async (_: unknown, f: Flags<{ count?: string }>, cmd: Command) => {
      const peer = onePeer(cmd.args)
      const count = intFlag('count', f.count, 1, 100) ?? 1
      const r = (await call(f, 'POST', '/v1/ping', { peer, count }, 30_000 + count * 6_000)) as {
        rttsMs: number[]
        label: string
      }
      print(f.json, r, () =>
        r.rttsMs.map((ms, i) => `ping ${peer} seq=${i + 1} time=${ms} ms via ${r.label}`).join('\n'),
      )
    })

  clientCommand(program, 'send [peerId]', 'send bytes to a peer; the receiver checks their SHA-256')
    .option('--bytes <size>', 'how much, e.g. 8388608 or 8MiB (required)')
    .option('--path <path>', 'any | direct | relayed (default any)')
    .allowExcessArguments(true)
    .action(async (_: unknown, f: Flags<{ bytes?: string; path?: string }>, cmd: Command) => {
      const peer = onePeer(cmd.args)
      const bytes = sizeFlag(f.bytes)
      const timeoutMs = 60_000 + Math.ceil(bytes / 1e6) * 1_000
      const r = (await call(
        f,
        'POST',
        '/v1/send',
        { peer, bytes, path: f.path ?? 'any' },
        timeoutMs,
      )) as Record<string, unknown>
      print(
        f.json,
        r,
        () =>
          `sent ${r.bytes} B to ${r.peer} via ${r.label} in ${r.ms} ms (${r.mbps} MB/s)\nsha256 ${r.sha256} ${r.match === true ? 'matches the receiver' : `MISMATCH: receiver ${r.remoteSha256}`}`,
      )
      if (r.match !== true) process.exitCode = 1
    })

  clientCommand(program, 'transfers', 'transfers this daemon received').action(async (f: Flags) => {
    const t = (await call(f, 'GET', '/v1/transfers')) as { received: Array<Record<string, unknown>> }
    print(f.json, t, () =>
      t.received.map((r) => `${r.peer} ${r.bytes} B sha256 ${r.sha256} via ${r.path}`).join('\n'),
    )
  })
}

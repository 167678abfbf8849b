/**
 * `edgeswarm provide <cid>`, `edgeswarm find <cid> [--limit N] [--json]`,
 * `edgeswarm find-peer <peerId> [--json]`, `edgeswarm routing [--json]`: the routing service through
 * the running daemon's control API. Arguments are checked here first, so a malformed CID or peer ID
 * is one clear line and never reaches the daemon.
 *
 * @example
 * ```sh
 * edgeswarm provide bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy
 * edgeswarm find bafkrei... --json      # one JSON object a line: peerId, addrs, source, hops, ms
 * ```
 */
import type { Command } from 'commander'
import { InvalidInputError } from '#shared/errors.ts'
import { parseCid, parsePeerId } from '#shared/services/routing/keys.ts'
import type { RoutingStatus } from '#shared/services/routing/service.ts'
import type { PeerResult, ProvideResult, ProviderResult } from '#shared/services/routing/types.ts'
import { callDaemon, streamDaemon } from '../control/client.ts'
import { type ClientFlags, clientCommand, dataDirOf } from './program.ts'

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

function providerLine(p: ProviderResult | PeerResult): string {
  return `${p.peerId}  ${p.source}  ${p.hops} hop${p.hops === 1 ? '' : 's'}  ${p.ms} ms  ${p.addrs[0] ?? '(no address)'}`
}

export function registerRoutingCommands(program: Command): void {
  clientCommand(
    program,
    'provide <cid>',
    'announce that this node provides a CID (edge index and DHT)',
  ).action(async (cid: string, flags: ClientFlags) => {
    const { text } = parseCid(cid)
    const r = (await callDaemon(dataDirOf(flags), 'POST', '/v1/routing/provide', {
      cid: text,
    })) as ProvideResult
    out(
      flags.json === true
        ? JSON.stringify(r)
        : `provided ${r.cid} via ${r.stored.join(' + ') || 'nothing yet'} in ${r.ms} ms`,
    )
    if (r.stored.length === 0) process.exitCode = 1
  })

  clientCommand(program, 'find <cid>', 'find providers of a CID (streamed, first first)')
    .option('--limit <n>', 'stop after N providers')
    .action(async (cid: string, flags: ClientFlags & { limit?: string }) => {
      const { text } = parseCid(cid)
      let limit: number | undefined
      if (flags.limit !== undefined) {
        if (!/^[0-9]{1,4}$/.test(flags.limit) || Number(flags.limit) < 1 || Number(flags.limit) > 1000) {
          throw new InvalidInputError(
            `--limit must be an integer in [1, 1000], got ${JSON.stringify(flags.limit)}`,
          )
        }
        limit = Number(flags.limit)
      }
      let n = 0
      for await (const value of streamDaemon(dataDirOf(flags), 'POST', '/v1/routing/find', {
        cid: text,
        ...(limit === undefined ? {} : { limit }),
      })) {
        n++
        out(flags.json === true ? JSON.stringify(value) : providerLine(value as ProviderResult))
      }
      if (n === 0) {
        if (flags.json !== true) process.stderr.write(`edgeswarm: no providers found for ${text}\n`)
        process.exitCode = 1
      }
    })

  clientCommand(program, 'find-peer <peerId>', "find a peer's addresses (edge index and DHT)").action(
    async (peerId: string, flags: ClientFlags) => {
      const id = parsePeerId(peerId).toString()
      const r = (await callDaemon(dataDirOf(flags), 'POST', '/v1/routing/find-peer', {
        peerId: id,
      })) as PeerResult
      if (flags.json === true) return out(JSON.stringify(r))
      out(providerLine(r))
      for (const a of r.addrs.slice(1)) out(`  ${a}`)
    },
  )

  clientCommand(program, 'routing', 'DHT mode, routing table size and neighbours of this node').action(
    async (flags: ClientFlags) => {
      const s = (await callDaemon(dataDirOf(flags), 'GET', '/v1/routing/status')) as RoutingStatus
      if (flags.json === true) return out(JSON.stringify(s, null, 2))
      out(`dht mode       ${s.mode}`)
      out(`routing table  ${s.routingTableSize} peers`)
      out(`neighbours     ${s.neighbours.length} / target ${s.target}`)
      for (const n of s.neighbours) out(`  ${n}`)
      out(`provided       ${s.provided} CIDs`)
    },
  )
}

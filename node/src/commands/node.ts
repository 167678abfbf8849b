/**
 * `edgeswarm node`: runs the home node in the foreground. The flags are declared here once (the help is
 * generated from them); validation of their values is `resolveNodeOptions`' (options.ts).
 */

import type { Command } from 'commander'
import { InvalidInputError } from '#shared/errors.ts'
import type { NodeOptionsInit } from '../options.ts'
import { repeatable } from './program.ts'

/** What commander hands the action (camel-cased flags; `--no-webrtc` sets `webrtc: false`). */
export interface NodeFlags {
  bootstrap?: string
  dataDir?: string
  listen?: string[]
  stun?: string[]
  networkKey?: string
  relay?: boolean
  publicCidr?: string[]
  webrtc?: boolean
  controlPort?: string
  neighbours?: string
  worker?: boolean
  cpus?: string
  logLevel?: string
  debug?: boolean
}

/** `--<name> N`: an integer in [1, 1024]. */
function countOf(name: string, raw: string): number {
  if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 1024) {
    throw new InvalidInputError(`--${name} must be an integer in [1, 1024], got ${JSON.stringify(raw)}`)
  }
  return Number(raw)
}

/** The flags as `NodeOptionsInit` (unset flags left out, so the defaults apply). */
export function nodeInit(f: NodeFlags, controlPort: number | undefined): NodeOptionsInit {
  return {
    ...(f.bootstrap === undefined ? {} : { bootstrap: f.bootstrap }),
    ...(f.dataDir === undefined ? {} : { dataDir: f.dataDir }),
    ...(f.listen === undefined ? {} : { listen: f.listen }),
    ...(f.stun === undefined ? {} : { stun: f.stun }),
    ...(f.networkKey === undefined ? {} : { networkKey: f.networkKey }),
    ...(f.publicCidr === undefined ? {} : { publicCidr: f.publicCidr }),
    ...(f.logLevel === undefined ? {} : { logLevel: f.logLevel }),
    ...(controlPort === undefined ? {} : { controlPort }),
    ...(f.neighbours === undefined ? {} : { neighbours: countOf('neighbours', f.neighbours) }),
    ...(f.cpus === undefined ? {} : { cpus: countOf('cpus', f.cpus) }),
    worker: f.worker === true,
    relay: f.relay === true,
    debug: f.debug === true,
    noWebrtc: f.webrtc === false,
  }
}

/** Adds `node`: runs the daemon (../run-node.ts) until a signal stops it. */
export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run a home node in the foreground (joins the overlay through the bootstrap URL)')
    .option('--bootstrap <URL>', "the edge's base URL or its /v1/bootstrap endpoint (required)")
    .option('--data-dir <dir>', 'node data directory (default: $EDGESWARM_DATA_DIR or ~/.edgeswarm)')
    .addOption(repeatable('--listen <multiaddr>', 'listen address (repeatable)'))
    .addOption(repeatable('--stun <url>', 'STUN server for WebRTC, stun:host[:port] (repeatable)'))
    .option('--network-key <key>', 'private network key (or $EDGESWARM_NETWORK_KEY)')
    .option('--relay', 'offer circuit relay to others once publicly reachable')
    .addOption(
      repeatable('--public-cidr <cidr>', 'treat this IPv4 range as public (tests, labs; repeatable)'),
    )
    .option('--no-webrtc', 'no WebRTC (no direct upgrade through NAT)')
    .option('--control-port <n>', 'control API port on 127.0.0.1 (0 = any free port)')
    .option('--neighbours <n>', 'target neighbours of the bounded-degree overlay (default 24)')
    .option('--worker', 'contribute CPU to compute jobs (sandboxed worker threads)')
    .option('--cpus <n>', 'worker threads with --worker (default: all CPUs but one, at least 1)')
    .option('--log-level <level>', 'error | warn | info | debug')
    .option('--json', 'accepted for symmetry with the client commands')
    .option('--debug', 'print stacks on errors')
    .action(async (flags: NodeFlags) => {
      const { runNode } = await import('../run-node.ts')
      await runNode(flags)
    })
}

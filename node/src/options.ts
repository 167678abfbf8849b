/**
 * Daemon options: the resolved, validated form of `edgeswarm node` flags. `resolveNodeOptions` checks
 * every value once (URL, multiaddrs, STUN URLs, CIDRs, log level) and returns a frozen object; errors
 * name the flag and the offending value.
 */
import { availableParallelism, homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_CONTROL_PORT, DEFAULT_NEIGHBOURS, DEFAULT_NODE_TCP_PORT } from '#shared/defaults.ts'
import { InvalidInputError, InvalidMultiaddrError } from '#shared/errors.ts'
import { STUN_URL_PATTERN } from '#shared/protocol/bootstrap.ts'
import { type Cidr, parseCidr } from './nat/cidr.ts'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface NodeOptionsInit {
  /** Bootstrap URL: the edge's base URL (`http://127.0.0.1:8787`) or its `/v1/bootstrap` endpoint. */
  bootstrap?: string
  /** Where identity, control files and events live. @default $EDGESWARM_DATA_DIR or ~/.edgeswarm */
  dataDir?: string
  /** Listen multiaddrs. @default TCP and WS on 0.0.0.0, random ports, plus /webrtc */
  listen?: string[]
  /** Extra STUN servers (`stun:host:port`), added to the bootstrap document's. @default [] */
  stun?: string[]
  /** Private network key (answers relays' `/edgeswarm/auth/1.0.0`, Bearer for the bootstrap). */
  networkKey?: string
  /** Offer circuit-relay-v2 hop once this node proves public reachability. @default false */
  relay?: boolean
  /** Ranges treated as public although @libp2p/utils calls them private (labs). @default [] */
  publicCidr?: string[]
  /** Events shown on stderr. @default 'info' */
  logLevel?: string
  /** Print stacks with errors. @default false */
  debug?: boolean
  /** Disable WebRTC (UDP hole punching). @default false */
  noWebrtc?: boolean
  /** Control API port on 127.0.0.1. @default 0 (a free port, written to the data dir) */
  controlPort?: number
  /** Target neighbours of the bounded-degree overlay (`--neighbours N`). @default DEFAULT_NEIGHBOURS (24) */
  neighbours?: number
  /** Contribute CPU to compute jobs (sandboxed worker threads). @default false */
  worker?: boolean
  /** Worker threads with `worker`. @default all CPUs but one, at least 1 */
  cpus?: number
}

export interface NodeOptions {
  readonly bootstrapUrl: string
  readonly dataDir: string
  readonly listen: readonly string[]
  readonly stun: readonly string[]
  readonly networkKey?: string
  readonly relay: boolean
  readonly publicCidrs: readonly Cidr[]
  readonly logLevel: LogLevel
  readonly debug: boolean
  readonly webrtc: boolean
  readonly controlPort: number
  readonly neighbours: number
  /** Worker threads contributed to compute jobs; 0 when not a worker. */
  readonly workerCpus: number
}

export function defaultDataDir(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.EDGESWARM_DATA_DIR
  return resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.edgeswarm'))
}

export function defaultListen(): string[] {
  return [`/ip4/0.0.0.0/tcp/${DEFAULT_NODE_TCP_PORT}`, `/ip4/0.0.0.0/tcp/${DEFAULT_NODE_TCP_PORT}/ws`]
}

/** `http://host:port[/base]` or `.../v1/bootstrap`; returns the URL to GET. */
export function parseBootstrapUrl(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new InvalidInputError('--bootstrap <URL> is required')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new InvalidInputError(`--bootstrap must be an http(s) URL, got ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`--bootstrap must be an http(s) URL, got ${JSON.stringify(raw)}`)
  }
  if (!url.pathname.endsWith('/v1/bootstrap')) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/bootstrap`
  }
  return url.toString()
}

function parseListen(raw: string): string {
  let ma: ReturnType<typeof multiaddr>
  try {
    ma = multiaddr(raw)
  } catch (err) {
    throw new InvalidMultiaddrError(
      `--listen must be a multiaddr such as /ip4/0.0.0.0/tcp/4001, got ${JSON.stringify(raw)} (${(err as Error).message})`,
    )
  }
  const names = ma.getComponents().map((c) => c.name)
  const ok =
    (names[0] === 'ip4' || names[0] === 'ip6') &&
    names[1] === 'tcp' &&
    (names.length === 2 || (names.length === 3 && names[2] === 'ws'))
  if (!ok) {
    throw new InvalidMultiaddrError(
      `--listen must be a TCP or WebSocket multiaddr (/ip4/<ip>/tcp/<port>[/ws]), got ${JSON.stringify(raw)}`,
    )
  }
  return ma.toString()
}

function parseStun(raw: string): string {
  if (!STUN_URL_PATTERN.test(raw)) {
    throw new InvalidInputError(
      `--stun must be a URL such as stun:198.51.100.2:3478, got ${JSON.stringify(raw)}`,
    )
  }
  return raw
}

export function resolveNodeOptions(
  init: NodeOptionsInit,
  env: Record<string, string | undefined> = process.env,
): NodeOptions {
  const logLevel = init.logLevel ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new InvalidInputError(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    )
  }
  const controlPort = init.controlPort ?? DEFAULT_CONTROL_PORT
  if (!Number.isInteger(controlPort) || controlPort < 0 || controlPort > 65535) {
    throw new InvalidInputError(`--control-port must be an integer in [0, 65535], got ${controlPort}`)
  }
  if (init.cpus !== undefined && init.worker !== true) throw new InvalidInputError('--cpus needs --worker')
  if (init.cpus !== undefined && (!Number.isInteger(init.cpus) || init.cpus < 1)) {
    throw new InvalidInputError(`--cpus must be an integer >= 1, got ${init.cpus}`)
  }
  const key = init.networkKey ?? env.EDGESWARM_NETWORK_KEY
  const webrtc = init.noWebrtc !== true
  return Object.freeze({
    bootstrapUrl: parseBootstrapUrl(init.bootstrap),
    dataDir: init.dataDir !== undefined ? resolve(init.dataDir) : defaultDataDir(env),
    listen: Object.freeze([
      ...(init.listen === undefined || init.listen.length === 0 ? defaultListen() : init.listen).map(
        parseListen,
      ),
      ...(webrtc ? ['/webrtc'] : []),
    ]),
    stun: Object.freeze((init.stun ?? []).map(parseStun)),
    ...(key !== undefined && key !== '' ? { networkKey: key } : {}),
    relay: init.relay === true,
    publicCidrs: Object.freeze((init.publicCidr ?? []).map((c) => parseCidr(c))),
    logLevel: logLevel as LogLevel,
    debug: init.debug === true,
    webrtc,
    controlPort,
    neighbours: init.neighbours ?? DEFAULT_NEIGHBOURS,
    workerCpus: init.worker === true ? (init.cpus ?? Math.max(1, availableParallelism() - 1)) : 0,
  })
}

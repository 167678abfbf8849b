/**
 * The worker's vars, parsed and validated once per request into a frozen `Settings`. A bad value
 * throws a ConfigError naming the variable (`RELAY_SHARDS must be an integer in [1, 256], got 0`); the
 * error handler logs that message for the operator and answers clients `config_error` only.
 *
 * @example
 * ```ts
 * const settings = parseSettings({ RELAY_SHARDS: '3', STUN_SERVERS: 'stun:stun.example.com:3478' })
 * settings.shards // 3
 * ```
 */
import { checkInteger, parseIntegerSetting, type RelayConfig } from '#shared/config.ts'
import { DEFAULT_NETWORK_NAME, DEFAULT_RELAY_SHARDS } from '#shared/defaults.ts'
import { ConfigError } from '#shared/errors.ts'
import {
  MAX_BOOTSTRAP_RELAYS,
  MAX_BOOTSTRAP_STUN,
  NETWORK_NAME_PATTERN,
  STUN_URL_PATTERN,
} from '#shared/protocol/bootstrap.ts'
import { relayConfigFromEnv } from '../relay/config.ts'
import { BEARER_TOKEN_PATTERN } from './bearer.ts'

/** The string vars and secrets of `Env` (bindings left out, so that tests can pass plain objects). */
export type Vars = Partial<Record<string, string | undefined>>

export interface Settings {
  /** NETWORK_NAME */
  network: string
  /** RELAY_SHARDS: shards are named `0` .. `shards - 1`. */
  shards: number
  /** STUN_SERVERS, split and validated. */
  stun: readonly string[]
  /** PUBLIC_URL without a trailing slash; undefined = use the request's origin. */
  publicUrl: string | undefined
  /** SHARD_HOST: host name template with `{n}` for shards n ≥ 1 (shard-hosts.ts); undefined = unset. */
  shardHost: string | undefined
  /** SHARD_PORTS: local ports of shards 1, 2, ... (shard-hosts.ts); undefined = unset. */
  shardPorts: readonly number[] | undefined
  /** NETWORK_KEY; undefined = open network. */
  networkKey: string | undefined
  /** Relay quotas (validated here so that a bad var fails loudly at the worker, not inside a shard). */
  relay: RelayConfig
}

function blank(raw: string | undefined): boolean {
  return raw === undefined || raw.trim() === ''
}

function parseNetwork(raw: string | undefined): string {
  if (blank(raw)) return DEFAULT_NETWORK_NAME
  const name = raw!.trim()
  if (!NETWORK_NAME_PATTERN.test(name)) {
    throw new ConfigError(
      `NETWORK_NAME must be 1-64 characters of A-Z a-z 0-9 . _ -, got ${JSON.stringify(raw)}`,
    )
  }
  return name
}

function parseStun(raw: string | undefined): string[] {
  if (blank(raw)) return []
  const urls = raw!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (urls.length > MAX_BOOTSTRAP_STUN) {
    throw new ConfigError(`STUN_SERVERS must list at most ${MAX_BOOTSTRAP_STUN} URLs, got ${urls.length}`)
  }
  urls.forEach((url, i) => {
    const port = /:([0-9]+)$/.exec(url)?.[1]
    if (!STUN_URL_PATTERN.test(url) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
      throw new ConfigError(`STUN_SERVERS[${i}] must be a stun:host[:port] URL, got ${JSON.stringify(url)}`)
    }
  })
  return [...new Set(urls)]
}

function parsePublicUrl(raw: string | undefined): string | undefined {
  if (blank(raw)) return undefined
  let url: URL
  try {
    url = new URL(raw!.trim())
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute http(s) URL, got ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`PUBLIC_URL must use http or https, got ${JSON.stringify(raw)}`)
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(
      `PUBLIC_URL must have no query, fragment or credentials, got ${JSON.stringify(raw)}`,
    )
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '')
}

const HOST_TEMPLATE = /^([a-z0-9-]*\{n\}[a-z0-9-]*)(\.[a-z0-9-]+)+$/

function parseShardHost(raw: string | undefined, publicUrl: string | undefined): string | undefined {
  if (blank(raw)) return undefined
  const template = raw!.trim().toLowerCase()
  if (!HOST_TEMPLATE.test(template)) {
    throw new ConfigError(
      `SHARD_HOST must be a host name whose first label holds {n}, e.g. shard-{n}.relay.example.com, got ${JSON.stringify(raw)}`,
    )
  }
  if (publicUrl === undefined) throw new ConfigError('SHARD_HOST needs PUBLIC_URL (the host of shard 0)')
  return template
}

function parseShardPorts(raw: string | undefined, publicUrl: string | undefined): number[] | undefined {
  if (blank(raw)) return undefined
  const ports = raw!.split(',').map((s, i) => {
    const port = parseIntegerSetting(`SHARD_PORTS[${i}]`, s.trim())
    return checkInteger(`SHARD_PORTS[${i}]`, port ?? Number.NaN, 1, 65535)
  })
  if (publicUrl === undefined) throw new ConfigError('SHARD_PORTS needs PUBLIC_URL (the port of shard 0)')
  return ports
}

function parseNetworkKey(raw: string | undefined): string | undefined {
  if (blank(raw)) return undefined
  // peers send it as a bearer token: RFC 6750 b64token characters only (the value is never echoed)
  if (!BEARER_TOKEN_PATTERN.test(raw!)) {
    throw new ConfigError('NETWORK_KEY must be made of A-Z a-z 0-9 - . _ ~ + / (then = padding only)')
  }
  return raw
}

export function parseSettings(vars: Vars): Settings {
  const shards = parseIntegerSetting('RELAY_SHARDS', vars.RELAY_SHARDS) ?? DEFAULT_RELAY_SHARDS
  const publicUrl = parsePublicUrl(vars.PUBLIC_URL)
  const shardPorts = parseShardPorts(vars.SHARD_PORTS, publicUrl)
  return Object.freeze({
    network: parseNetwork(vars.NETWORK_NAME),
    shards: checkInteger('RELAY_SHARDS', shards, 1, MAX_BOOTSTRAP_RELAYS),
    stun: Object.freeze(parseStun(vars.STUN_SERVERS)),
    publicUrl,
    shardHost: parseShardHost(vars.SHARD_HOST, publicUrl),
    shardPorts: shardPorts === undefined ? undefined : Object.freeze(shardPorts),
    networkKey: parseNetworkKey(vars.NETWORK_KEY),
    relay: relayConfigFromEnv(vars),
  })
}

/** Shard names of a deployment: `0` .. `shards - 1`. */
export function shardNames(settings: Pick<Settings, 'shards'>): string[] {
  return Array.from({ length: settings.shards }, (_, i) => String(i))
}

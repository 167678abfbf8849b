/**
 * Option types and their resolution. `resolve*Config(init)` applies the defaults from `defaults.ts`
 * once, validates every value and returns a frozen, complete object; components only see resolved config.
 *
 * @example
 * ```ts
 * const relay = resolveRelayConfig({ maxReservations: 100 })
 * relay.maxCircuitBytes // 1073741824
 * ```
 */
import * as D from './defaults.ts'
import { ConfigError } from './errors.ts'

/** Quotas of one relay shard (edge Durable Object or a home node acting as super-peer). */
export interface RelayInit {
  /** Reservations one shard holds at once (each costs ~0.1 MiB of the isolate's 128 MB). @default 512 */
  maxReservations?: number
  /** Reservation lifetime in seconds. @default 3600 */
  reservationTtlSeconds?: number
  /** Bytes one relayed circuit may carry, both directions summed. @default 1073741824 (1 GiB) */
  maxCircuitBytes?: number
  /** Lifetime of one relayed circuit in seconds. @default 3600 */
  maxCircuitDurationSeconds?: number
  /** Concurrent relayed circuits per shard. @default 512 */
  maxCircuits?: number
  /** Concurrent connections per remote IP per shard. @default 32 */
  maxConnectionsPerIp?: number
  /** Concurrent connections per shard. @default 768 */
  maxConnections?: number
  /** Inbound handshakes in progress per shard. @default 256 */
  maxPendingConnections?: number
  /** Seconds an unauthenticated peer may stay connected in private mode. @default 10 */
  authGraceSeconds?: number
}

export type RelayConfig = Readonly<Required<RelayInit>>

export const RELAY_DEFAULTS: RelayConfig = Object.freeze({
  maxReservations: D.DEFAULT_MAX_RESERVATIONS,
  reservationTtlSeconds: D.DEFAULT_RESERVATION_TTL_SECONDS,
  maxCircuitBytes: D.DEFAULT_MAX_CIRCUIT_BYTES,
  maxCircuitDurationSeconds: D.DEFAULT_MAX_CIRCUIT_DURATION_SECONDS,
  maxCircuits: D.DEFAULT_MAX_CIRCUITS,
  maxConnectionsPerIp: D.DEFAULT_MAX_CONNECTIONS_PER_IP,
  maxConnections: D.DEFAULT_MAX_CONNECTIONS,
  maxPendingConnections: D.DEFAULT_MAX_PENDING_CONNECTIONS,
  authGraceSeconds: D.DEFAULT_AUTH_GRACE_SECONDS,
})

/** Throws ConfigError unless `value` is an integer in [min, max]. */
export function checkInteger(
  path: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`
    throw new ConfigError(`${path} must be ${range}, got ${JSON.stringify(value)}`)
  }
  return value
}

export function resolveRelayConfig(init: RelayInit = {}, path = 'relay'): RelayConfig {
  const out: Record<string, number> = {}
  for (const key of Object.keys(RELAY_DEFAULTS) as Array<keyof RelayConfig>) {
    const value = init[key] ?? RELAY_DEFAULTS[key]
    out[key] = checkInteger(`${path}.${key}`, value, key === 'authGraceSeconds' ? 0 : 1)
  }
  for (const key of Object.keys(init)) {
    if (!(key in RELAY_DEFAULTS)) throw new ConfigError(`${path}.${key} is not a known option`)
  }
  return Object.freeze(out as unknown as RelayConfig)
}

/**
 * Parses a decimal integer from a string setting (worker vars, CLI flags). Empty or missing means
 * "use the default" and returns undefined.
 */
export function parseIntegerSetting(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  if (!/^-?[0-9]+$/.test(raw.trim()))
    throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`)
  return Number.parseInt(raw.trim(), 10)
}

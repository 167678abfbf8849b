/**
 * The relay quotas from the Worker's vars (wrangler.toml [vars] / `--var`), validated once.
 * An invalid value throws a ConfigError naming the variable (`MAX_CIRCUITS must be ...`).
 */
import {
  checkInteger,
  parseIntegerSetting,
  type RelayConfig,
  type RelayInit,
  resolveRelayConfig,
} from '#shared/config.ts'

/** Relay quota vars and the RelayInit option each sets. */
export const RELAY_VARS: ReadonlyArray<readonly [string, keyof RelayInit]> = [
  ['MAX_RESERVATIONS', 'maxReservations'],
  ['RESERVATION_TTL_SECONDS', 'reservationTtlSeconds'],
  ['MAX_CIRCUIT_BYTES', 'maxCircuitBytes'],
  ['MAX_CIRCUIT_DURATION_SECONDS', 'maxCircuitDurationSeconds'],
  ['MAX_CIRCUITS', 'maxCircuits'],
  ['MAX_CONNECTIONS_PER_IP', 'maxConnectionsPerIp'],
  ['MAX_CONNECTIONS', 'maxConnections'],
  ['MAX_PENDING_CONNECTIONS', 'maxPendingConnections'],
  ['AUTH_GRACE_SECONDS', 'authGraceSeconds'],
]

/**
 * `vars` is the Worker's `Env` or any object of string vars (unit tests); bindings are ignored. Pure
 * (no cloudflare:* imports), so the Worker's settings and the shard both use it.
 */
export function relayConfigFromEnv(vars: object): RelayConfig {
  const init: RelayInit = {}
  for (const [name, key] of RELAY_VARS) {
    const raw = (vars as Record<string, unknown>)[name]
    const value = parseIntegerSetting(name, typeof raw === 'string' ? raw : undefined)
    if (value !== undefined) init[key] = checkInteger(name, value, key === 'authGraceSeconds' ? 0 : 1)
  }
  return resolveRelayConfig(init)
}

import { describe, expect, it } from 'vitest'
import { RELAY_DEFAULTS } from '#shared/config.ts'
import type { Env } from '../env.ts'
import { relayConfigFromEnv } from './config.ts'

function env(vars: Partial<Env>): Env {
  return vars as Env
}

describe('relayConfigFromEnv', () => {
  it('empty vars mean the documented defaults', () => {
    expect(relayConfigFromEnv(env({ MAX_CIRCUIT_BYTES: '', MAX_CIRCUITS: '' }))).toEqual(RELAY_DEFAULTS)
  })

  it('parses every quota var', () => {
    const c = relayConfigFromEnv(
      env({
        MAX_RESERVATIONS: '5',
        RESERVATION_TTL_SECONDS: '60',
        MAX_CIRCUIT_BYTES: '1048576',
        MAX_CIRCUIT_DURATION_SECONDS: '30',
        MAX_CIRCUITS: '2',
        MAX_CONNECTIONS_PER_IP: '3',
        MAX_CONNECTIONS: '100',
        MAX_PENDING_CONNECTIONS: '10',
        AUTH_GRACE_SECONDS: '0',
      }),
    )
    expect(c).toEqual({
      maxReservations: 5,
      reservationTtlSeconds: 60,
      maxCircuitBytes: 1048576,
      maxCircuitDurationSeconds: 30,
      maxCircuits: 2,
      maxConnectionsPerIp: 3,
      maxConnections: 100,
      maxPendingConnections: 10,
      authGraceSeconds: 0,
    })
  })

  it('names the offending var in a ConfigError', () => {
    expect(() => relayConfigFromEnv(env({ MAX_CIRCUITS: 'lots' }))).toThrow(/MAX_CIRCUITS must be an integer/)
    expect(() => relayConfigFromEnv(env({ MAX_CIRCUIT_BYTES: '-1' }))).toThrow(
      /MAX_CIRCUIT_BYTES must be an integer >= 1/,
    )
    expect(() => relayConfigFromEnv(env({ MAX_RESERVATIONS: '0' }))).toThrow(
      expect.objectContaining({ name: 'ConfigError' }),
    )
  })
})

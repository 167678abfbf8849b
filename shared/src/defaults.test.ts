import { describe, expect, it } from 'vitest'
import { RELAY_DEFAULTS, resolveRelayConfig } from './config.ts'
import * as D from './defaults.ts'

// The values documented in config.ts (@default), docs/OPERATIONS.md and defaults.ts, written out once
// more on purpose: a constant that drifts from its documentation fails here.
const DOCUMENTED_RELAY = {
  maxReservations: 512,
  reservationTtlSeconds: 3600,
  maxCircuitBytes: 1073741824,
  maxCircuitDurationSeconds: 3600,
  maxCircuits: 512,
  maxConnectionsPerIp: 32,
  maxConnections: 768,
  maxPendingConnections: 256,
  authGraceSeconds: 10,
}

describe('defaults', () => {
  it('resolveRelayConfig({}) equals the documented relay defaults', () => {
    const resolved = resolveRelayConfig({})
    expect({ ...resolved }).toEqual(DOCUMENTED_RELAY)
    expect(Object.isFrozen(resolved)).toBe(true)
    expect(RELAY_DEFAULTS).toEqual(resolved)
  })

  it('bootstrap and worker defaults match their documentation', () => {
    expect(D.DEFAULT_BOOTSTRAP_PEERS).toBe(16)
    expect(D.DEFAULT_RELAY_SHARDS).toBe(2)
    expect(D.DEFAULT_NETWORK_NAME).toBe('edgeswarm')
    expect(D.DEFAULT_SHARD_STATS_TIMEOUT_MS).toBe(5_000)
  })

  it('compute waits and batches match docs/PROTOCOLS.md and the CLI help', () => {
    expect(D.DEFAULT_COMPUTE_WORKER_WAIT_MS).toBe(10_000)
    expect(D.DEFAULT_COMPUTE_BLOCKED_WAIT_MS).toBe(30_000)
    expect(D.DEFAULT_COMPUTE_BATCH_MS).toBe(250)
  })

  it('resolveRelayConfig names the bad option', () => {
    expect(() => resolveRelayConfig({ maxCircuits: 0 })).toThrow(
      /relay\.maxCircuits must be an integer >= 1, got 0/,
    )
    expect(() => resolveRelayConfig({ bogus: 1 } as never)).toThrow(/relay\.bogus is not a known option/)
  })
})

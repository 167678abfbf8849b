import { describe, expect, it } from 'vitest'
import type { REFUSAL_REASONS, RefusalReason, ShardStats } from '../objects/shard-contract.ts'
import { escapeLabel, renderMetrics } from './prometheus.ts'

// Compile-time: REFUSAL_REASONS lists every RefusalReason.
const exhaustive: Exclude<RefusalReason, (typeof REFUSAL_REASONS)[number]> extends never ? true : false = true

function stats(shard: string): ShardStats {
  return {
    shard,
    peerId: '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
    addrs: [],
    connections: 3,
    reservations: 2,
    circuits: 1,
    circuitsTotal: 9,
    bytesRelayed: 12345,
    refusals: { circuit_bytes: 4 },
    peers: [],
    superPeers: [],
    uptimeSeconds: 60,
  }
}

describe('renderMetrics', () => {
  it('writes HELP/TYPE once per family and one sample per shard', () => {
    expect(exhaustive).toBe(true)
    const text = renderMetrics([{ shard: '0', stats: stats('0') }, { shard: '1' }])
    expect(text.endsWith('\n')).toBe(true)
    expect(text).toContain('edgeswarm_relay_up{shard="0"} 1\n')
    expect(text).toContain('edgeswarm_relay_up{shard="1"} 0\n')
    expect(text).toContain('edgeswarm_relay_reservations{shard="0"} 2\n')
    expect(text).toContain('edgeswarm_relay_bytes_total{shard="0"} 12345\n')
    expect(text).toContain('edgeswarm_relay_refusals_total{shard="0",reason="circuit_bytes"} 4\n')
    expect(text).toContain('edgeswarm_relay_refusals_total{shard="0",reason="unauthorized"} 0\n')
    expect(text.match(/^# TYPE edgeswarm_relay_circuits_total counter$/gm)).toHaveLength(1)
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+\{[^}]*\} [0-9]+)$/)
    }
    const shard1 = text.split('\n').filter((l) => l.includes('shard="1"'))
    expect(shard1).toEqual(['edgeswarm_relay_up{shard="1"} 0'])
  })

  it('escapes label values', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
  })
})

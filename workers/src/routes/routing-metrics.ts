/**
 * Prometheus families of the super-peer index, one sample per ProviderIndex shard (label `index`):
 * live records, and counters of what was stored, expired, throttled and refused
 * (`edgeswarm_routing_events_total{event="refused_forged"}` counts forged announcements).
 */
import type { IndexStats } from '../objects/provider-index.ts'
import { escapeLabel } from './prometheus.ts'

/** Counter names always shown (0 included), so that series do not appear late. */
export const ROUTING_EVENTS = [
  'announced',
  'expired',
  'throttled_peer',
  'shard_full',
  'refused_forged',
  'refused_malformed',
] as const

export function renderRoutingMetrics(samples: readonly { index: number; stats?: IndexStats }[]): string {
  const lines: string[] = [
    '# HELP edgeswarm_routing_up 1 when the index shard answered for this scrape, else 0.',
    '# TYPE edgeswarm_routing_up gauge',
    ...samples.map((s) => `edgeswarm_routing_up{index="${s.index}"} ${s.stats === undefined ? 0 : 1}`),
    '# HELP edgeswarm_routing_records Live records in the index shard, by kind.',
    '# TYPE edgeswarm_routing_records gauge',
  ]
  const live = samples.filter((s): s is { index: number; stats: IndexStats } => s.stats !== undefined)
  for (const s of live) {
    lines.push(`edgeswarm_routing_records{index="${s.index}",kind="provider"} ${s.stats.providers}`)
    lines.push(`edgeswarm_routing_records{index="${s.index}",kind="peer"} ${s.stats.peers}`)
  }
  lines.push(
    '# HELP edgeswarm_routing_events_total Index events since the shard was created, by event.',
    '# TYPE edgeswarm_routing_events_total counter',
  )
  for (const s of live) {
    const names = new Set<string>([...ROUTING_EVENTS, ...Object.keys(s.stats.counters)])
    for (const n of names) {
      lines.push(
        `edgeswarm_routing_events_total{index="${s.index}",event="${escapeLabel(n)}"} ${s.stats.counters[n] ?? 0}`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}

/**
 * Renders shard stats as Prometheus text exposition format 0.0.4 (pure). One family per metric with
 * HELP and TYPE, one sample per shard (label `shard`); a shard that did not answer shows only
 * `edgeswarm_relay_up{shard="n"} 0`, so that absent series and a dead shard are told apart.
 */
import { REFUSAL_REASONS, type ShardStats } from '../objects/shard-contract.ts'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type ShardSample = { shard: string; stats?: ShardStats }

interface Family {
  name: string
  type: 'gauge' | 'counter'
  help: string
  value: (s: ShardStats) => number
}

const FAMILIES: readonly Family[] = [
  {
    name: 'edgeswarm_relay_reservations',
    type: 'gauge',
    help: 'Reservations the shard holds now.',
    value: (s) => s.reservations,
  },
  {
    name: 'edgeswarm_relay_connections',
    type: 'gauge',
    help: 'Connections the shard has open now.',
    value: (s) => s.connections,
  },
  {
    name: 'edgeswarm_relay_circuits',
    type: 'gauge',
    help: 'Relayed circuits open now.',
    value: (s) => s.circuits,
  },
  {
    name: 'edgeswarm_relay_circuits_total',
    type: 'counter',
    help: 'Relayed circuits opened since the shard started.',
    value: (s) => s.circuitsTotal,
  },
  {
    name: 'edgeswarm_relay_bytes_total',
    type: 'counter',
    help: 'Bytes carried through relayed circuits since the shard started, both directions.',
    value: (s) => s.bytesRelayed,
  },
  {
    name: 'edgeswarm_relay_timers',
    type: 'gauge',
    help: "Active JavaScript timers in the shard's isolate (workerd allows 10,000 per isolate).",
    value: (s) => s.timers ?? 0,
  },
  {
    name: 'edgeswarm_relay_uptime_seconds',
    type: 'gauge',
    help: "Seconds since the shard's libp2p node started.",
    value: (s) => s.uptimeSeconds,
  },
]

/** Escapes a label value (backslash, double quote, newline), per the exposition format. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function labels(pairs: Record<string, string>): string {
  const inner = Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')
  return `{${inner}}`
}

function header(name: string, type: string, help: string): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`]
}

export function renderMetrics(samples: readonly ShardSample[]): string {
  const up = samples.map(
    (s) => `edgeswarm_relay_up${labels({ shard: s.shard })} ${s.stats === undefined ? 0 : 1}`,
  )
  const lines = [
    ...header('edgeswarm_relay_up', 'gauge', '1 when the shard answered for this scrape, else 0.'),
    ...up,
  ]
  const live = samples.filter((s): s is Required<ShardSample> => s.stats !== undefined)
  for (const f of FAMILIES) {
    lines.push(...header(f.name, f.type, f.help))
    for (const s of live) lines.push(`${f.name}${labels({ shard: s.shard })} ${f.value(s.stats)}`)
  }
  lines.push(
    ...header(
      'edgeswarm_relay_refusals_total',
      'counter',
      'Refusals and cuts since the shard started, by reason.',
    ),
  )
  for (const s of live) {
    const reasons = new Set<string>([...REFUSAL_REASONS, ...Object.keys(s.stats.refusals)])
    for (const reason of reasons) {
      const n = (s.stats.refusals as Record<string, number | undefined>)[reason] ?? 0
      lines.push(`edgeswarm_relay_refusals_total${labels({ shard: s.shard, reason })} ${n}`)
    }
  }
  return `${lines.join('\n')}\n`
}

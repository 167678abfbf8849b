/**
 * `GET /metrics` against the real worker and shards: Prometheus text exposition that a scraper accepts,
 * with values that follow what peers actually did. Run: `vitest run --project worker test/worker/metrics.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseBootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { REFUSAL_REASONS } from '../../workers/src/objects/shard-contract.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { createPeer, waitForReservation } from '../helpers/peers.ts'
import { waitFor } from '../helpers/wait.ts'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Exposition {
  types: Map<string, string>
  helps: Map<string, string>
  samples: Sample[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`
const SAMPLE = new RegExp(
  `^(${NAME})\\{((?:${LABEL})(?:,${LABEL})*)?\\} (-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$`,
)

/** A small parser of the text format (0.0.4): throws on any line that is not HELP, TYPE or a sample. */
function parseExposition(text: string): Exposition {
  expect(text.endsWith('\n')).toBe(true)
  const out: Exposition = { types: new Map(), helps: new Map(), samples: [] }
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta !== null) {
      const [, kind, name, rest] = meta
      const map = kind === 'HELP' ? out.helps : out.types
      if (map.has(name!)) throw new Error(`second ${kind} for ${name}`)
      if (kind === 'TYPE' && !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!)) {
        throw new Error(`bad TYPE line: ${line}`)
      }
      map.set(name!, rest!)
      continue
    }
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(new RegExp(LABEL, 'g'))) labels[k!] = v!
    const name = m[1]!
    if (!out.types.has(name)) throw new Error(`sample before its TYPE: ${line}`)
    out.samples.push({ name, labels, value: Number(m.at(-1)) })
  }
  return out
}

function value(e: Exposition, name: string, labels: Record<string, string>): number | undefined {
  return e.samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value
}

const FAMILIES: Record<string, 'gauge' | 'counter'> = {
  edgeswarm_relay_up: 'gauge',
  edgeswarm_relay_reservations: 'gauge',
  edgeswarm_relay_connections: 'gauge',
  edgeswarm_relay_circuits: 'gauge',
  edgeswarm_relay_circuits_total: 'counter',
  edgeswarm_relay_bytes_total: 'counter',
  edgeswarm_relay_timers: 'gauge',
  edgeswarm_relay_refusals_total: 'counter',
}

describe('GET /metrics', () => {
  let edge: Edge

  beforeAll(async () => {
    edge = await startEdge({ vars: { RELAY_SHARDS: '2' } })
  })
  afterAll(async () => {
    await edge?.stop()
  })

  async function scrape(): Promise<Exposition> {
    const res = await fetch(`${edge.url}/metrics`)
    const text = await res.text()
    expect(res.status, text).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    return parseExposition(text)
  }

  it('parses as Prometheus text with HELP and TYPE for every family and a sample per shard', async () => {
    const e = await scrape()
    for (const [name, type] of Object.entries(FAMILIES)) {
      expect(e.types.get(name), name).toBe(type)
      expect(e.helps.get(name), name).toBeTruthy()
      if (type === 'counter') expect(name.endsWith('_total')).toBe(true)
    }
    for (const shard of ['0', '1']) {
      expect(value(e, 'edgeswarm_relay_up', { shard })).toBe(1)
      for (const name of Object.keys(FAMILIES).filter((n) => n !== 'edgeswarm_relay_refusals_total')) {
        expect(value(e, name, { shard }), `${name}{shard="${shard}"}`).toBeGreaterThanOrEqual(0)
      }
      for (const reason of REFUSAL_REASONS) {
        expect(value(e, 'edgeswarm_relay_refusals_total', { shard, reason }), reason).toBeGreaterThanOrEqual(
          0,
        )
      }
    }
    expect(e.samples.every((s) => Number.isFinite(s.value) && s.value >= 0)).toBe(true)
    expect(e.samples.some((s) => s.labels.shard === '2')).toBe(false)
  })

  it('counts the reservation and connection of a peer on shard 0', async () => {
    const doc = parseBootstrapDocument(await (await fetch(`${edge.url}/v1/bootstrap`)).json())
    const relay = doc.relays[0]!
    const peer = await createPeer({ relays: [relay.addrs[0]!] })
    try {
      await waitForReservation(peer, relay.peerId)
      const e = await waitFor(
        'shard 0 to report 1 reservation in /metrics',
        async () => {
          const s = await scrape()
          return value(s, 'edgeswarm_relay_reservations', { shard: '0' }) === 1 ? s : undefined
        },
        20_000,
        250,
      )
      expect(value(e, 'edgeswarm_relay_connections', { shard: '0' })).toBeGreaterThanOrEqual(1)
      expect(value(e, 'edgeswarm_relay_reservations', { shard: '1' })).toBe(0)
    } finally {
      await peer.stop()
    }
    await waitFor(
      'shard 0 to free the reservation of a peer that left',
      async () => value(await scrape(), 'edgeswarm_relay_reservations', { shard: '0' }) === 0,
      20_000,
      250,
    )
  })

  it('HEAD /metrics answers 200 without a body', async () => {
    const res = await fetch(`${edge.url}/metrics`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })
})

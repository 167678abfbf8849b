/**
 * Join time of a home node on loopback: process spawn → a reservation on each of both edge shards,
 * with where the time went, from the daemon's own events (`node.started`'s `startupMs`,
 * `reservation.made`) and libp2p's debug lines (ISO timestamps, ms resolution) per shard: WebSocket
 * dial, noise, yamux, identify, HOP reservation. A first run with a fresh data dir, then restarts on
 * the same data dir (the identity exists; the node may reuse what it learnt on the last run).
 *
 * @example
 * ```sh
 * flock /tmp/heavy.lock node bench/join.ts   # JOIN_BENCH_RUNS=5 (default) per kind, JOIN_BENCH_JSON=1 every run
 * ```
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DaemonEvent, LOOPBACK_LISTEN, startDaemon } from '../scripts/lib/daemon.ts'
import { startEdge } from '../scripts/lib/edge.ts'

const RUNS = Number(process.env.JOIN_BENCH_RUNS ?? 5)
/** libp2p's debug namespaces that mark the steps of a join (no trace lines). */
const DEBUG =
  process.env.JOIN_BENCH_DEBUG ??
  'libp2p:websockets*,libp2p:upgrader*,libp2p:identify*,libp2p:circuit-relay*,-*:trace'

interface Line {
  at: number
  text: string
}

/** Debug lines (weald prefixes an ISO date when stderr is not a terminal). */
function debugLines(out: string): Line[] {
  return out.split('\n').flatMap((l) => {
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (.*)$/.exec(l)
    return m === null ? [] : [{ at: Date.parse(m[1]!), text: m[2]! }]
  })
}

/** Per shard: ms after spawn of each step, from the first debug line that names its connection. */
function shardSteps(lines: Line[], spawnAt: number, shardAddr: string, relayId: string) {
  const rel = (l: Line | undefined) => (l === undefined ? undefined : l.at - spawnAt)
  const dial = lines.find((l) => l.text.includes('dialing') && l.text.includes(shardAddr))
  const opens = lines.filter((l) => l.text.includes('new outbound connection'))
  const open = opens.find((l) => l.text.includes(shardAddr))
  // the connection's own logger (libp2p:websockets:connection:outbound:<id>): upgrades start in the
  // order the sockets opened
  const noise = lines.filter((l) => l.text.includes('encrypting outbound connection'))[
    open === undefined ? -1 : opens.indexOf(open)
  ]
  const ns = noise?.text.split(' ')[0]
  const muxed = lines.find((l) => ns !== undefined && l.text.startsWith(`${ns} create muxer`))
  const upgraded = lines.find((l) => l.text.includes('upgraded') && l.text.includes(shardAddr))
  const identified = lines.find(
    (l) => l.text.includes('libp2p:identify completed for peer') && l.text.includes(relayId),
  )
  const hop = lines.find((l) => l.text.includes('requesting reservation from') && l.text.includes(relayId))
  const reserved = lines.find(
    (l) => l.text.includes('created reservation on relay peer') && l.text.includes(relayId),
  )
  return {
    wsDial: rel(dial),
    wsOpen: rel(open),
    noiseStart: rel(noise),
    noiseYamuxDone: rel(muxed),
    upgraded: rel(upgraded),
    hopRequest: rel(hop),
    identifyDone: rel(identified),
    hopReserved: rel(reserved),
  }
}

async function joinOnce(bootstrap: string, dataDir: string) {
  const spawnAt = Date.now()
  const d = await startDaemon({
    bootstrap,
    dataDir,
    keepDataDir: true,
    args: LOOPBACK_LISTEN,
    env: { DEBUG },
    verbose: false,
  })
  const made: DaemonEvent[] = []
  for (const shard of ['0', '1'])
    made.push(await d.waitForEvent('reservation.made', (e) => e.shard === shard))
  const started = d.events.find((e) => e.event === 'node.started')!
  const su = started.startupMs as Record<string, number> & { uptime: number }
  // performance.now() counts from the process's time origin: spawn → that origin is what remains
  const originAt = Date.parse(String(started.ts)) - su.uptime
  const up = originAt - spawnAt
  const at = (e: DaemonEvent) => Date.parse(String(e.ts)) - spawnAt
  const loaded = d.events.find((e) => e.event === 'bootstrap.loaded')
  const lines = debugLines(d.output())
  if (process.env.JOIN_BENCH_RAW !== undefined) {
    writeFileSync(
      `${process.env.JOIN_BENCH_RAW}-${spawnAt}.log`,
      lines.map((l) => `${l.at - spawnAt} ${l.text}`).join('\n'),
    )
  }
  const doc = (await (await fetch(`${bootstrap}/v1/bootstrap`)).json()) as {
    relays: Array<{ shard: string; peerId: string; addrs: string[] }>
  }
  const shards = Object.fromEntries(
    doc.relays.map((r) => {
      const addr = r.addrs[0]!.replace(/\/p2p\/.*$/, '')
      return [
        r.shard,
        { ...shardSteps(lines, spawnAt, addr, r.peerId), made: at(made.find((m) => m.shard === r.shard)!) },
      ]
    }),
  )
  await d.stop()
  return {
    processUp: up,
    marks: Object.fromEntries(Object.entries(su).map(([k, v]) => [k, up + v])),
    bootstrapLoaded: loaded === undefined ? undefined : at(loaded),
    shards,
    bothReserved: Math.max(...made.map(at)),
    afterProcessUp: Math.max(...made.map(at)) - up,
  }
}

type Join = Awaited<ReturnType<typeof joinOnce>>

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!
}

/** Medians over the runs, ms after spawn: the start-up marks, then per step the later of the two shards. */
function summary(runs: Join[]) {
  const m = (f: (r: Join) => number | undefined) =>
    Math.round(median(runs.flatMap((r) => (f(r) === undefined ? [] : [f(r)!]))))
  const last = (step: keyof Join['shards'][string]) => (r: Join) =>
    Math.max(...Object.values(r.shards).map((x) => x[step] ?? Number.NaN))
  return {
    processUp: m((r) => r.processUp),
    ...Object.fromEntries(
      ['cli', 'local', 'daemon', 'transports', 'libp2p', 'bootstrap', 'core'].map((k) => [
        k,
        m((r) => r.marks[k]),
      ]),
    ),
    wsOpen: m(last('wsOpen')),
    noiseYamuxDone: m(last('noiseYamuxDone')),
    hopRequest: m(last('hopRequest')),
    bothReserved: m((r) => r.bothReserved),
    afterProcessUp: m((r) => r.afterProcessUp),
    afterCli: m((r) => r.bothReserved - (r.marks.cli ?? Number.NaN)),
  }
}

export async function runJoinBench(runs = RUNS) {
  const load = () => loadavg().map((l) => Number(l.toFixed(2)))
  const loadBefore = load()
  const edge = await startEdge({})
  const all: Record<'fresh' | 'restart', Join[]> = { fresh: [], restart: [] }
  try {
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'edgeswarm-join-'))
      try {
        all.fresh.push(await joinOnce(edge.url, dir))
        all.restart.push(await joinOnce(edge.url, dir))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  } finally {
    await edge.stop()
  }
  return {
    loadBefore,
    loadAfter: load(),
    fresh: summary(all.fresh),
    restart: summary(all.restart),
    runs: all,
  }
}

export function printJoinBench(r: Awaited<ReturnType<typeof runJoinBench>>): void {
  console.log(
    `join on loopback (medians, ms after spawn; load ${r.loadBefore.join(' ')} → ${r.loadAfter.join(' ')})`,
  )
  console.table({ fresh: r.fresh, restart: r.restart })
}

if (import.meta.main) {
  const r = await runJoinBench()
  if (process.env.JOIN_BENCH_JSON !== undefined) console.log(JSON.stringify(r, null, 1))
  printJoinBench(r)
}

/**
 * Messaging benchmark: one topic, N subscribers spread over several Node worker processes (several
 * js-libp2p peers each; every 5th relay-only, the rest also on loopback WebSockets so direct paths
 * exist) and Chromium tabs (WebRTC between tabs, WebSockets to Node peers), all holding reservations on
 * the local edge (workerd under `wrangler dev`). 1 KB messages at R per second for S seconds, published
 * round-robin by every subscriber: **GossipSub** (our settings) side by side with **floodsub** on the
 * same setup and the same random topology rule (each peer dials K others), then GossipSub with a share
 * of the Node peers leaving and new ones joining, then the time an offline recipient takes to get a
 * mailbox message after it returns. Scales run in turn (`BENCH_MSG_PEERS=40,100`).
 *
 * Reports delivery ratio (per kind of peer too), latency p50/p99 (publish → receipt, wall clock: one
 * machine), copies per message per peer (counted at the routers' RPC entry, duplicates included), edge
 * CPU and bytes per message (from /proc and /metrics) and the edge's share of the message bytes, the
 * CPU of workers, tabs and the coordinator, how busy the machine was and its load average.
 *
 * ```sh
 * node bench/messaging.ts                                          # 100 subscribers, 10/s, 60 s
 * BENCH_MSG_PEERS=40,100 BENCH_MSG_SECONDS=20 node bench/messaging.ts
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Browser } from 'playwright-core'
import { DEFAULT_PUBSUB_D } from '#shared/defaults.ts'
import { memoryStorage } from '#shared/peer/storage.ts'
import { readBootstrap } from '#shared/services/messaging/topic-peers.ts'
import type { Messages } from '#shared/services/messaging/types.ts'
import { launchChromium } from '../test/browser/pages.ts'
import { startEdge } from '../test/helpers/edge.ts'
import { startServicePeer } from '../test/helpers/service-peer.ts'
import { waitFor } from '../test/helpers/wait.ts'
import { type Member, openTab, serveTabPage, spawnWorker } from './lib/bus-members.ts'
import type {
  BusEvent,
  DialReport,
  HostReport,
  OverlaySnapshot,
  PeerReport,
  Router,
  StartedPeer,
} from './lib/bus-peer.ts'
import { cpuSeconds, findDescendants, machineBusy, machineCpuTimes, runQueueSeconds } from './lib/proc.ts'

export interface MessagingBenchOptions {
  /** Subscriber counts to run in turn (Node peers + tabs). */
  peers: number[]
  ratePerSecond: number
  seconds: number
  /** Random peers each peer dials. */
  degree: number
  /** Share of peers replaced per minute in the churn run. */
  churnPerMinute: number
  messageBytes: number
  /** Share of Node peers that are relay-only (no listener of their own: reached through the edge only). */
  relayOnlyShare: number
  /** Node worker processes the Node peers are spread over. */
  workers: number
  /** Chromium tabs, one bench peer each. */
  tabs: number
  /** Which runs to do at each scale (all three by default). */
  runs: RunName[]
}

export type RunName = 'gossipsub' | 'floodsub' | 'churn'
const RUN_NAMES: RunName[] = ['gossipsub', 'floodsub', 'churn']

type Kind = 'node' | 'relay-only' | 'tab'

interface Peer extends StartedPeer {
  member: Member
  kind: Kind
  relay: string
  readyAt?: number
  leftAt?: number
}

/** A message must have had this long to reach a peer before the peer left to count against delivery. */
const LEAVE_GRACE_MS = 1_000

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const round = (x: number, d = 2) => Number(x.toFixed(d))

/** The idle window before publishing: meshes form (a few heartbeats) while the idle CPU is measured. */
const IDLE_MS = 5_000

/** How long a worker or tab may take to answer `report` after publishing ends. */
const REPORT_WAIT_MS = 120_000
/** After the warm-up messages: time for them to drain before measuring. */
const WARM_UP_DRAIN_MS = 3_000

type Cpu = Record<'edge' | 'workers' | 'chromium' | 'coordinator', number>

function perSecond(a: Cpu, b: Cpu, ms: number): Cpu & { total: number } {
  const r = (k: keyof Cpu) => round(((b[k] - a[k]) * 1000) / ms)
  const out = {
    edge: r('edge'),
    workers: r('workers'),
    chromium: r('chromium'),
    coordinator: r('coordinator'),
  }
  return { ...out, total: round(out.edge + out.workers + out.chromium + out.coordinator) }
}
const lastCpu = new Map<number, number>()
/** CPU seconds of a process; the last reading once it has exited (a renderer that closed, a dead worker). */
function cpuOfPid(pid: number): number {
  try {
    lastCpu.set(pid, cpuSeconds(pid))
  } catch {
    // gone: keep its last reading
  }
  return lastCpu.get(pid) ?? 0
}

const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!

async function edgeBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return [...text.matchAll(/^edgeswarm_relay_bytes_total\{[^}]*\} (\d+)/gm)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  )
}

/** Where `from` dials `to`: a direct WebSocket when `to` listens on one, WebRTC between tabs, else the circuit. */
function addrFor(from: Peer, to: Peer): string {
  if (to.ws !== undefined) return to.ws
  const circuit = `${to.relay}/p2p-circuit`
  return from.kind === 'tab' && to.kind === 'tab'
    ? `${circuit}/webrtc/p2p/${to.id}`
    : `${circuit}/p2p/${to.id}`
}

/** Peers dialling their share of the random topology at the same time. */
const WIRE_CONCURRENCY = 8

/**
 * Each peer of `from` dials `degree` random others. A Node peer with a listener is dialled by a tab or a
 * relay-only peer, not the reverse: a peer without a listener reaches a listening one directly, as the
 * product's path manager does once identify brings the listener's public address, so only links with
 * no direct path (relay-only or tab to relay-only) go through the edge.
 */
async function wire(all: Peer[], degree: number, from: Peer[]): Promise<void> {
  const plan = new Map<Peer, string[]>()
  for (const p of from) {
    const others = all.filter((q) => q !== p)
    for (let k = 0; k < Math.min(degree, others.length); k++) {
      const q = pick(others)
      const [a, b] = p.ws !== undefined && q.ws === undefined ? [q, p] : [p, q]
      plan.set(a, [...(plan.get(a) ?? []), addrFor(a, b)])
    }
  }
  // a few peers' dials at a time: all 600 at once (100 peers x 6) overran 2 cores with noise handshakes,
  // and half of them failed on the handshake's timeout, leaving a sparser overlay than the rule asks for
  const queue = [...plan]
  const reports: DialReport[] = []
  const dialer = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [p, addrs] = next
      const r = await p.member.call<DialReport>({ op: 'dial', key: p.key, addrs }).catch(() => undefined)
      if (r !== undefined) reports.push(r)
    }
  }
  await Promise.all(Array.from({ length: WIRE_CONCURRENCY }, dialer))
  const failed = new Map<string, number>()
  for (const f of reports.flatMap((x) => x.failed)) failed.set(f, (failed.get(f) ?? 0) + 1)
  if (failed.size > 0) {
    const planned = [...plan.values()].reduce((a, xs) => a + xs.length, 0)
    const ok = reports.reduce((a, r) => a + r.ok, 0)
    console.error(
      `wiring: ${ok} of ${planned} dials connected; failed: ${JSON.stringify(Object.fromEntries(failed))}`,
    )
  }
}

/** The overlay at one moment, over every peer that reported one: mesh sizes, isolated peers, dead mesh links. */
function overlaySummary(reports: PeerReport[], at: 'atMark' | 'atReport', kindOf: (key: string) => Kind) {
  const snaps = reports.flatMap((r) =>
    r.overlay[at] === undefined ? [] : [r.overlay[at] as OverlaySnapshot],
  )
  // relayed circuits by the kind of peer at this end: a listening Node peer should have none (every
  // peer can reach it directly), so the edge carries only links with no direct path
  const relayedByKind: Record<string, number> = { node: 0, 'relay-only': 0, tab: 0 }
  for (const r of reports) {
    const k = kindOf(r.key)
    relayedByKind[k] = (relayedByKind[k] ?? 0) + (r.overlay[at]?.relayed ?? 0)
  }
  const meshes = snaps.flatMap((x) => (x.mesh === undefined ? [] : [x.mesh]))
  const sum = (f: (x: OverlaySnapshot) => number | undefined) => snaps.reduce((a, x) => a + (f(x) ?? 0), 0)
  return {
    peers: snaps.length,
    topicPeers: {
      min: Math.min(...snaps.map((x) => x.topicPeers)),
      p50: pct(
        snaps.map((x) => x.topicPeers),
        0.5,
      ),
    },
    noTopicPeer: snaps.filter((x) => x.topicPeers === 0).length,
    mesh:
      meshes.length === 0
        ? null
        : { min: Math.min(...meshes), p50: pct(meshes, 0.5), max: Math.max(...meshes) },
    emptyMesh: meshes.filter((m) => m === 0).length,
    meshLinksWithoutStream: sum((x) => x.meshWithoutStream),
    peersWithoutStream: sum((x) => x.peersWithoutStream),
    connections: sum((x) => x.connections),
    relayedConnections: sum((x) => x.relayed),
    relayedConnectionsByKind: relayedByKind,
  }
}

interface Setup {
  edge: { url: string; cpu: () => number }
  browser: Browser
  tabUrl: string
  relays: string[]
}

async function runOne(router: Router, n: number, o: MessagingBenchOptions, s: Setup, churn: boolean) {
  const peers = new Map<string, Peer>()
  const onEvent = (e: BusEvent) => {
    const p = peers.get(e.key)
    if (p !== undefined && p.readyAt === undefined) p.readyAt = e.at
  }
  const tabs = Math.min(o.tabs, n)
  const workers = Array.from({ length: o.workers }, (_, i) => spawnWorker(`w${i}`, onEvent))
  const members: Member[] = [...workers]
  try {
    for (let i = 0; i < tabs; i++) members.push(await openTab(s.browser, s.tabUrl, `t${i}`, onEvent))
    const start = async (m: Member, specs: Array<{ key: string; kind: Kind; relay: string }>) => {
      for (let i = 0; i < specs.length; i += 8) {
        const batch = specs.slice(i, i + 8)
        const started = await m.call<StartedPeer[]>({
          op: 'start',
          router,
          peers: batch.map((x) => ({ key: x.key, relay: x.relay, relayOnly: x.kind === 'relay-only' })),
        })
        for (const [j, st] of started.entries()) peers.set(st.key, { ...st, ...batch[j]!, member: m })
      }
    }
    const relayOnlyEvery = o.relayOnlyShare > 0 ? Math.max(1, Math.round(1 / o.relayOnlyShare)) : 0
    const nodeSpecs = (m: number) =>
      Array.from({ length: n - tabs }, (_, i) => i).filter((i) => i % o.workers === m)
    await Promise.all([
      ...workers.map((w, m) =>
        start(
          w,
          nodeSpecs(m).map((i) => ({
            key: `n${i}`,
            kind: relayOnlyEvery > 0 && i % relayOnlyEvery === 0 ? 'relay-only' : 'node',
            relay: s.relays[i % s.relays.length]!,
          })),
        ),
      ),
      ...members
        .filter((m) => m.kind === 'tab')
        .map((t) => start(t, [{ key: t.name, kind: 'tab', relay: s.relays[0]! }])),
    ])
    const all = () => [...peers.values()].filter((p) => p.leftAt === undefined)
    await wire(all(), o.degree, all())
    // a peer whose dials all failed (a loaded machine) dials again; one still alone after that stays in
    // the run (its misses count against the delivery ratio) and is reported
    const alone = () => all().filter((p) => p.readyAt === undefined)
    for (let round = 0; round < 3 && alone().length > 0; round++) {
      await waitFor('every peer sees a topic peer', () => alone().length === 0, 30_000).catch(() =>
        wire(all(), o.degree, alone()),
      )
    }
    const isolated = alone().map((p) => `${p.key} (${p.kind})`)
    const waitOf = () => workers.reduce((a, w) => a + (w.pid === undefined ? 0 : runQueueSeconds(w.pid)), 0)
    const cpuOf = (): Cpu => ({
      edge: s.edge.cpu(),
      workers: workers.reduce((a, w) => a + (w.pid === undefined ? 0 : cpuOfPid(w.pid)), 0),
      chromium: findDescendants(process.pid, 'chromium').reduce((a, pid) => a + cpuOfPid(pid), 0),
      coordinator: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    })
    // a few heartbeats (meshes form), measured: what the overlay costs with no messages
    const idle0 = cpuOf()
    const idleStarted = Date.now()
    await new Promise((r) => setTimeout(r, IDLE_MS))
    const idle = perSecond(idle0, cpuOf(), Date.now() - idleStarted)
    // warm-up, not counted: every peer publishes once (first use of signing, hashing and each stream
    // pays for code loading and compilation), then the queues drain
    const ready = all().filter((p) => p.readyAt !== undefined)
    for (const p of ready) {
      void p.member.call({ op: 'publish', key: p.key, bytes: o.messageBytes }).catch(() => undefined)
      await new Promise((r) => setTimeout(r, 1000 / o.ratePerSecond))
    }
    await new Promise((r) => setTimeout(r, WARM_UP_DRAIN_MS))
    await Promise.all(members.map((m) => m.call({ op: 'mark' })))
    const cpu0 = cpuOf()
    const wait0 = waitOf()
    const machine0 = machineCpuTimes()
    const bytes0 = await edgeBytes(s.edge.url)
    const loadAtStart = loadavg()[0]!
    const sends: Array<Promise<{ by: string; r?: { id: string; at: number } }>> = []
    const total = o.ratePerSecond * o.seconds
    const churnEvery = Math.max(1, Math.round((o.ratePerSecond * 60) / Math.max(1e-9, o.churnPerMinute * n)))
    let churned = 0
    const joins: Array<Promise<void>> = []
    const started = Date.now()
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / o.ratePerSecond
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
      if (churn && i > 0 && i % churnEvery === 0) {
        churned++
        joins.push(replaceOne(router, peers, all, o.degree, `j${churned}`))
      }
      const ready = all().filter((p) => p.readyAt !== undefined)
      const by = ready[i % ready.length]!
      sends.push(
        by.member
          .call<{ id: string; at: number } | undefined>({ op: 'publish', key: by.key, bytes: o.messageBytes })
          .then((r) => ({ by: by.key, r }))
          .catch(() => ({ by: by.key })),
      )
    }
    const sent = (await Promise.all(sends)).flatMap((x) => (x.r === undefined ? [] : [{ by: x.by, ...x.r }]))
    await new Promise((r) => setTimeout(r, 5_000)) // stragglers
    await Promise.all(joins)
    const bytes = (await edgeBytes(s.edge.url)) - bytes0
    const cpu1 = cpuOf()
    const workerWait = (waitOf() - wait0) / workers.length / ((Date.now() - started) / 1000)
    const busyPerSecond = perSecond(cpu0, cpu1, Date.now() - started)
    const busy = machineBusy(machine0, machineCpuTimes())
    // a host still working through a backlog answers late; past REPORT_WAIT_MS the run fails and says so
    const hosts = await Promise.all(
      members.map((m) =>
        Promise.race([
          m.call<HostReport>({ op: 'report' }),
          new Promise<never>((_, reject) =>
            setTimeout(
              () =>
                reject(new Error(`${m.name} did not report within ${REPORT_WAIT_MS / 1000} s (overloaded)`)),
              REPORT_WAIT_MS,
            ).unref(),
          ),
        ]),
      ),
    )
    const reports = hosts.flatMap((h) => h.peers)
    const worst = (kind: Member['kind']) => {
      const lags = hosts.filter((_, i) => members[i]!.kind === kind).map((h) => h.loopLagMs)
      return { p99: Math.max(0, ...lags.map((l) => l.p99)), max: Math.max(0, ...lags.map((l) => l.max)) }
    }
    const got = new Map(reports.map((r) => [r.key, new Map(r.got)]))
    const copies = reports.reduce((a, r) => a + r.copies, 0)
    const connectionsClosed = reports.reduce((a, r) => a + r.closed, 0)
    const closeReasons: Record<string, number> = {}
    for (const r of reports) {
      for (const [why, k] of Object.entries(r.closeReasons)) closeReasons[why] = (closeReasons[why] ?? 0) + k
    }
    const byKind: Record<Kind, { expected: number; delivered: number }> = {
      node: { expected: 0, delivered: 0 },
      'relay-only': { expected: 0, delivered: 0 },
      tab: { expected: 0, delivered: 0 },
    }
    const latencies: number[] = []
    const latenciesByKind: Record<Kind, number[]> = { node: [], 'relay-only': [], tab: [] }
    // by 10 s window of publishing: a tail that grows over the run is a backlog, a flat one is spikes
    const t0 = sent[0]?.at ?? 0
    const latenciesByWindow: number[][] = []
    for (const m of sent) {
      // subscribers that were ready when it was published and stayed long enough to get it
      for (const p of peers.values()) {
        if (p.key === m.by || p.readyAt === undefined || p.readyAt > m.at) continue
        if (p.leftAt !== undefined && p.leftAt < m.at + LEAVE_GRACE_MS) continue
        byKind[p.kind].expected++
        const ms = got.get(p.key)?.get(m.id)
        if (ms !== undefined) {
          byKind[p.kind].delivered++
          latencies.push(ms)
          latenciesByKind[p.kind].push(ms)
          const w = Math.floor((m.at - t0) / 10_000)
          const bucket = latenciesByWindow[w] ?? []
          latenciesByWindow[w] = bucket
          bucket.push(ms)
        }
      }
    }
    const expected = Object.values(byKind).reduce((a, k) => a + k.expected, 0)
    const delivered = Object.values(byKind).reduce((a, k) => a + k.delivered, 0)
    const ratio = (k: { expected: number; delivered: number }) =>
      k.expected === 0 ? null : round(k.delivered / k.expected, 4)
    const kindOf = (key: string): Kind => peers.get(key)?.kind ?? 'node'
    const messages = Math.max(1, sent.length)
    return {
      router,
      churn,
      peers: n,
      tabs,
      relayOnlyPeers: [...peers.values()].filter((p) => p.kind === 'relay-only' && p.key.startsWith('n'))
        .length,
      workers: o.workers,
      isolatedPeers: isolated,
      messages: sent.length,
      replacedPeers: churned,
      deliveryRatio: round(delivered / Math.max(1, expected), 4),
      deliveryByKind: {
        node: ratio(byKind.node),
        relayOnly: ratio(byKind['relay-only']),
        tab: ratio(byKind.tab),
      },
      latencyMs: { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: pct(latencies, 1) },
      /** p50/p99 by the receiving peer's kind: which paths the tail sits on. */
      latencyByKindMs: Object.fromEntries(
        Object.entries(latenciesByKind).map(([k, xs]) => [k, { p50: pct(xs, 0.5), p99: pct(xs, 0.99) }]),
      ),
      /** p99 of the messages published in each 10 s window, in order. */
      latencyP99By10sMs: [...latenciesByWindow].map((xs) => (xs === undefined ? null : pct(xs, 0.99))),
      copiesPerMessagePerPeer: round(copies / Math.max(1, expected)),
      edgeBytesPerMessage: Math.round(bytes / messages),
      /** Edge relay bytes over the message bytes peers received (every copy): the share the edge carried. */
      edgeShareOfMessageBytes: round(bytes / Math.max(1, copies * o.messageBytes), 3),
      cpuSeconds: {
        edge: round(cpu1.edge - cpu0.edge),
        edgeMsPerMessage: round(((cpu1.edge - cpu0.edge) * 1000) / messages),
        workers: round(cpu1.workers - cpu0.workers),
        chromium: round(cpu1.chromium - cpu0.chromium),
        coordinator: round(cpu1.coordinator - cpu0.coordinator),
      },
      /** CPU seconds per second (cores) of each group: idle overlay vs while publishing (stragglers included). */
      cores: { idle, publishing: busyPerSecond },
      /** The worst process's timer lateness while publishing (ms): seconds here mean a starved process. */
      loopLagMs: { workers: worst('worker'), tabs: worst('tab') },
      /** Share of the publishing time a worker's main thread spent runnable but waiting for a CPU (mean). */
      workerRunQueueWait: round(workerWait, 3),
      /** The overlay before publishing and at the end; connections that closed meanwhile. */
      overlay: {
        atMark: overlaySummary(reports, 'atMark', kindOf),
        atReport: overlaySummary(reports, 'atReport', kindOf),
        connectionsClosed,
        /** `local|remote <error> <path>`: connections closed while publishing, by who closed, why and path. */
        closeReasons,
      },
      machineBusy: round(busy),
      loadAverage: { atStart: round(loadAtStart), atEnd: round(loadavg()[0]!) },
    }
  } finally {
    await Promise.allSettled(members.map((m) => m.close()))
  }
}

/** One Node peer leaves; a new one joins in the same worker, dials `degree` survivors, and counts once ready. */
async function replaceOne(
  router: Router,
  peers: Map<string, Peer>,
  alive: () => Peer[],
  degree: number,
  key: string,
) {
  const gone = pick(alive().filter((p) => p.kind !== 'tab'))
  gone.leftAt = Date.now()
  void gone.member.call({ op: 'stop', key: gone.key }).catch(() => undefined)
  try {
    const [st] = await gone.member.call<StartedPeer[]>({
      op: 'start',
      router,
      peers: [{ key, relay: gone.relay, relayOnly: gone.kind === 'relay-only' }],
    })
    const p: Peer = { ...st!, member: gone.member, kind: gone.kind, relay: gone.relay }
    peers.set(key, p)
    await wire(alive(), degree, [p])
  } catch (err) {
    console.error(`a joining peer failed to start: ${(err as Error).message}`)
  }
}

async function offlineDelivery(edgeUrl: string) {
  const sender = await startServicePeer({ edgeUrl })
  const key = await generateKeyPair('Ed25519')
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const to = peerIdFromPrivateKey(key).toString()
  await sender.service<Messages>('messages').send(to, 'while you were away', { mailboxOnly: true })
  const t0 = Date.now()
  const back = await startServicePeer({ edgeUrl, privateKey: key, storage: memoryStorage() })
  const joined = Date.now()
  await waitFor(
    'mailbox delivery',
    async () => (await back.service<Messages>('messages').inbox()).length > 0,
    60_000,
    20,
  )
  const done = Date.now()
  await Promise.all([sender.stop(), back.stop()])
  return { startToDeliveryMs: done - t0, joinedToDeliveryMs: done - joined }
}

/** Options from the environment (`BENCH_MSG_*`) or flags (`--peers 40,100 --seconds 20 ...`), issue defaults otherwise. */
export function messagingBenchOptions(argv: string[] = []): MessagingBenchOptions {
  const raw = (name: string, envName: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : process.env[envName]
  }
  const num = (v: string | undefined, name: string, d: number) => {
    const x = v === undefined ? d : Number(v)
    if (!Number.isFinite(x) || x < 0) throw new Error(`--${name} must be a number >= 0, got ${v}`)
    return x
  }
  const flag = (name: string, envName: string, d: number) => num(raw(name, envName), name, d)
  return {
    peers: (raw('peers', 'BENCH_MSG_PEERS') ?? '100').split(',').map((v) => num(v, 'peers', 100)),
    ratePerSecond: flag('rate', 'BENCH_MSG_RATE', 10),
    seconds: flag('seconds', 'BENCH_MSG_SECONDS', 60),
    degree: flag('degree', 'BENCH_MSG_DEGREE', 6),
    churnPerMinute: flag('churn', 'BENCH_MSG_CHURN', 0.2),
    messageBytes: 1024,
    relayOnlyShare: flag('relay-only', 'BENCH_MSG_RELAY_ONLY', 0.2),
    workers: Math.max(1, flag('workers', 'BENCH_MSG_WORKERS', 4)),
    tabs: flag('tabs', 'BENCH_MSG_TABS', 4),
    runs: (raw('runs', 'BENCH_MSG_RUNS') ?? RUN_NAMES.join(',')).split(',').map((v) => {
      if (!RUN_NAMES.includes(v as RunName)) {
        throw new Error(`--runs must list ${RUN_NAMES.join(', ')}, got ${JSON.stringify(v)}`)
      }
      return v as RunName
    }),
  }
}

export async function runMessagingBench(o: MessagingBenchOptions = messagingBenchOptions()) {
  const most = Math.max(...o.peers)
  // every peer here connects from 127.0.0.1, which the shards treat as one household (32 connections
  // per IP by default): lift that cap so that N peers stand for N homes
  const edge = await startEdge({ vars: { MAX_CONNECTIONS_PER_IP: String(4 * most + 64) } })
  let browser: Browser | undefined
  let page: Awaited<ReturnType<typeof serveTabPage>> | undefined
  // Ctrl-C or a kill: the finally below still stops the edge and the browser (workers exit with our stdin)
  const interrupted = new Promise<never>((_, reject) => {
    const stop = (sig: string) => reject(new Error(`interrupted by ${sig}`))
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  interrupted.catch(() => undefined)
  try {
    const workerd = () => findDescendants(edge.process.pid!, 'workerd')
    const doc = await readBootstrap({ edgeUrl: edge.url })
    browser = await launchChromium()
    page = await serveTabPage()
    const setup: Setup = {
      edge: { url: edge.url, cpu: () => workerd().reduce((s, pid) => s + cpuOfPid(pid), 0) },
      browser,
      tabUrl: page.url,
      relays: doc.relays.map((r) => r.addrs[0]!),
    }
    const scales = []
    const failed: Array<{ peers: number; run: RunName; failed: string }> = []
    for (const n of o.peers) {
      const run = (router: Router, churn: boolean) =>
        Promise.race([runOne(router, n, o, setup, churn), interrupted])
      // each run on its own: one that fails (a worker that died, peers that did not start) keeps the others
      const one = async (name: RunName, router: Router, churn: boolean) => {
        if (!o.runs.includes(name)) return undefined
        try {
          const row = await run(router, churn)
          // as it completes, so that a run cut short by a timeout still shows the runs before it
          const { deliveryRatio: d, deliveryByKind: k, latencyMs: l, overlay: ov } = row
          console.error(
            `[${n} ${name}] delivery ${d} (node ${k.node}, relay-only ${k.relayOnly}, tab ${k.tab}), ` +
              `p50/p99 ${l.p50}/${l.p99} ms (by kind ${JSON.stringify(row.latencyByKindMs)}; p99 by 10 s ${JSON.stringify(row.latencyP99By10sMs)}), copies ${row.copiesPerMessagePerPeer}, edge share ${row.edgeShareOfMessageBytes} ` +
              `(relayed circuits by peer kind ${JSON.stringify(ov.atMark.relayedConnectionsByKind)}), ` +
              `cores ${JSON.stringify(row.cores.publishing)}, lag p99 w/t ${row.loopLagMs.workers.p99}/${row.loopLagMs.tabs.p99} ms, ` +
              `run-queue wait ${row.workerRunQueueWait}, mesh ${JSON.stringify(ov.atMark.mesh)} -> ${JSON.stringify(ov.atReport.mesh)}, ` +
              `${ov.connectionsClosed} closed, busy ${row.machineBusy}, load ${row.loadAverage.atStart}->${row.loadAverage.atEnd}`,
          )
          return row
        } catch (err) {
          if ((err as Error).message.startsWith('interrupted')) throw err
          failed.push({ peers: n, run: name, failed: (err as Error).message })
          return undefined
        }
      }
      const gossip = await one('gossipsub', 'gossipsub', false)
      const flood = await one('floodsub', 'floodsub', false)
      const churn = await one('churn', 'gossipsub', true)
      const ratio = (a: number, b: number) => round(a / b)
      scales.push({
        peers: n,
        gossipsub: gossip,
        floodsub: flood,
        gossipsubWithChurn: churn,
        gossipOverFlood:
          gossip === undefined || flood === undefined
            ? undefined
            : {
                edgeBytes: ratio(gossip.edgeBytesPerMessage, flood.edgeBytesPerMessage),
                copies: ratio(gossip.copiesPerMessagePerPeer, flood.copiesPerMessagePerPeer),
                p99: ratio(gossip.latencyMs.p99, flood.latencyMs.p99),
              },
      })
    }
    const offline = await Promise.race([offlineDelivery(edge.url), interrupted])
    return { options: o, scales, failed, offline, chromium: browser.version() }
  } finally {
    await browser?.close()
    await page?.close()
    await edge.stop()
  }
}

type MessagingBenchResult = Awaited<ReturnType<typeof runMessagingBench>>
type Row = NonNullable<MessagingBenchResult['scales'][number]['gossipsub']>

export function printMessagingBench(r: MessagingBenchResult): void {
  const o = r.options
  console.log(
    `${o.messageBytes} B at ${o.ratePerSecond}/s for ${o.seconds} s, degree ${o.degree}, ${o.workers} worker processes, ` +
      `${o.tabs} Chromium tabs, every ${Math.round(1 / o.relayOnlyShare)}th Node peer relay-only`,
  )
  const head =
    'run                   delivery  node/relay-only/tab     p50  p99 ms  copies  edge B/msg  edge share  edge CPU ms/msg  workers/chromium CPU s  lag p99 w/t ms  busy  load'
  const line = (x: Row) => {
    const name = `${x.router}${x.churn ? ` +churn(${x.replacedPeers})` : ''}`
    const k = x.deliveryByKind
    return [
      name.padEnd(20),
      String(x.deliveryRatio).padStart(9),
      `${k.node}/${k.relayOnly}/${k.tab}`.padStart(20),
      String(x.latencyMs.p50).padStart(7),
      String(x.latencyMs.p99).padStart(7),
      String(x.copiesPerMessagePerPeer).padStart(7),
      String(x.edgeBytesPerMessage).padStart(11),
      String(x.edgeShareOfMessageBytes).padStart(11),
      String(x.cpuSeconds.edgeMsPerMessage).padStart(16),
      `${x.cpuSeconds.workers}/${x.cpuSeconds.chromium}`.padStart(23),
      `${x.loopLagMs.workers.p99}/${x.loopLagMs.tabs.p99}`.padStart(15),
      String(x.machineBusy).padStart(5),
      `${x.loadAverage.atStart}->${x.loadAverage.atEnd}`.padStart(11),
    ].join(' ')
  }
  for (const s of r.scales) {
    const rows = [s.gossipsub, s.floodsub, s.gossipsubWithChurn].filter((x) => x !== undefined)
    const g = rows[0]
    if (g === undefined) continue
    console.log(`\n${s.peers} subscribers (${g.tabs} tabs, ${g.relayOnlyPeers} relay-only Node peers)`)
    console.log(head)
    for (const x of rows) {
      console.log(line(x))
      if (x.isolatedPeers.length > 0) console.log(`  never saw a topic peer: ${x.isolatedPeers.join(', ')}`)
      const ov = (v: Row['overlay']['atMark']) =>
        `mesh ${v.mesh === null ? '-' : `${v.mesh.min}/${v.mesh.p50}/${v.mesh.max}`} (${v.emptyMesh} empty), ` +
        `${v.noTopicPeer} without a topic peer, ${v.meshLinksWithoutStream} mesh links without a stream, ` +
        `${v.relayedConnections}/${v.connections} connections relayed`
      console.log(`  before: ${ov(x.overlay.atMark)}`)
      const why = Object.entries(x.overlay.closeReasons)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${v} ${k}`)
      console.log(`  after:  ${ov(x.overlay.atReport)}; ${x.overlay.connectionsClosed} connections closed`)
      if (why.length > 0) console.log(`  closed: ${why.join(', ')}`)
      console.log(
        `  worker main threads waited for a CPU ${Math.round(x.workerRunQueueWait * 100)}% of the time`,
      )
    }
    const goals = (x: Row) =>
      `delivery ${x.deliveryRatio} of 1, p99 ${x.latencyMs.p99} ms of <= 250 (${round(x.latencyMs.p99 / 250)}x), ` +
      `copies ${x.copiesPerMessagePerPeer} of <= ${DEFAULT_PUBSUB_D + 1} (${round(x.copiesPerMessagePerPeer / (DEFAULT_PUBSUB_D + 1))}x), ` +
      `edge share ${x.edgeShareOfMessageBytes} of < 0.1 (${round(x.edgeShareOfMessageBytes / 0.1)}x)`
    if (s.gossipsub !== undefined) console.log(`goals, gossipsub: ${goals(s.gossipsub)}`)
    if (s.gossipsubWithChurn !== undefined) {
      console.log(`goals, gossipsub with churn: ${goals(s.gossipsubWithChurn)}`)
    }
    const gf = s.gossipOverFlood
    if (gf !== undefined) {
      console.log(`gossipsub / floodsub: edge bytes ${gf.edgeBytes}, copies ${gf.copies}, p99 ${gf.p99}`)
    }
  }
  for (const f of r.failed) console.log(`\n${f.peers} subscribers, ${f.run}: failed: ${f.failed}`)
  console.log(
    `offline mailbox: delivered ${r.offline.joinedToDeliveryMs} ms after the recipient's peer started ` +
      `(goal <= 1000 ms; ${r.offline.startToDeliveryMs} ms including its start)`,
  )
}

if (import.meta.main) {
  const result = await runMessagingBench(messagingBenchOptions(process.argv.slice(2)))
  printMessagingBench(result)
  const dir = join(import.meta.dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `messaging-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`results written to ${file}`)
  process.exit(0)
}

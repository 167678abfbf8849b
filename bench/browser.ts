/**
 * Browser bench: two Chromium tabs against the real edge (`wrangler dev`).
 * - time from page load (navigation start) to the first relay reservation, per tab;
 * - time from page load to the first direct WebRTC connection (the second tab dials the first as soon
 *   as it has a peer ID; "direct" = a ping crossed the WebRTC connection);
 * - browser <-> browser throughput, direct WebRTC vs relayed through an edge shard, same payload, side
 *   by side (median of a few runs, SHA-256 checked at the receiver on every run).
 *
 * Standalone: `node bench/browser.ts` prints the result and writes bench/results/browser-<time>.json.
 * `npm run bench` (bench/run.ts) calls `runBrowserBench()`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEdge } from '../scripts/lib/edge.ts'
import { buildBrowserBundle, launchChromium, openPeer, type PagePeer } from '../test/browser/pages.ts'

const MiB = 1024 * 1024

export interface BrowserBenchOptions {
  /** Payload per transfer (bytes). @default 16 MiB */
  bytes?: number
  /** Transfers per path; the median is reported. @default 3 */
  runs?: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d

/** ms from the tab's navigation start to its first reservation. */
async function reservationMs(p: PagePeer): Promise<number> {
  await p.waitForReservation(60_000)
  const s = await p.state()
  return Math.min(...s.relays.flatMap((r) => (r.reservedAfterMs === undefined ? [] : [r.reservedAfterMs])))
}

async function throughput(
  from: PagePeer,
  to: PagePeer,
  path: 'direct' | 'relayed',
  bytes: number,
  runs: number,
) {
  const mbps: number[] = []
  let label = ''
  for (let i = 0; i < runs; i++) {
    const r = await from.send(to.peerId, bytes, { path, timeoutMs: 300_000 })
    if (!r.match)
      throw new Error(`${path} transfer ${i}: receiver digest ${r.remoteSha256} != sent ${r.sha256}`)
    mbps.push(r.mbps ?? 0)
    label = r.label
  }
  return { path: label, mbPerSecond: round(median(mbps)), runs: mbps.map((x) => round(x)) }
}

export async function runBrowserBench(opts: BrowserBenchOptions = {}): Promise<Record<string, unknown>> {
  const bytes = opts.bytes ?? 16 * MiB
  const runs = opts.runs ?? 3
  buildBrowserBundle()
  const edge = await startEdge({ vars: { RELAY_SHARDS: '2' } })
  const browser = await launchChromium()
  try {
    const a = await openPeer(browser, edge.url)
    const reservationA = await reservationMs(a)
    // second tab: time from its page load to its first verified direct WebRTC link with the first tab
    const b = await openPeer(browser, edge.url)
    const origin = await b.page.evaluate(() => performance.timeOrigin)
    await b.dial(a.peerId, { direct: true, timeoutMs: 60_000 })
    const events = await b.events()
    const direct = events.find((e) => e.event === 'path.direct' && e.peer === a.peerId)
    if (direct === undefined) throw new Error('no direct path event in tab B')
    const firstDirectMs = direct.ts - origin
    const reservationB = await reservationMs(b)

    const directRun = await throughput(a, b, 'direct', bytes, runs)
    const relayedRun = await throughput(a, b, 'relayed', bytes, runs)
    return {
      payloadMiB: bytes / MiB,
      runs,
      pageLoadToFirstReservationMs: { tabA: round(reservationA, 0), tabB: round(reservationB, 0) },
      pageLoadToFirstDirectWebRtcMs: round(firstDirectMs, 0),
      throughput: {
        direct: directRun,
        relayed: relayedRun,
        directOverRelayed: round(directRun.mbPerSecond / relayedRun.mbPerSecond, 2),
      },
      chromium: browser.version(),
    }
  } finally {
    await browser.close()
    await edge.stop()
  }
}

if (import.meta.main) {
  const result = await runBrowserBench()
  console.log(JSON.stringify(result, null, 2))
  const t = result.throughput as { direct: { mbPerSecond: number }; relayed: { mbPerSecond: number } }
  console.log(
    `\nbrowser<->browser ${result.payloadMiB} MiB: direct WebRTC ${t.direct.mbPerSecond} MB/s | relayed ${t.relayed.mbPerSecond} MB/s`,
  )
  const dir = join(import.meta.dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `browser-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`results written to ${file}`)
}

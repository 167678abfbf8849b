/**
 * Files benchmark (`node bench/files.ts`, or a section of `npm run bench`; needs root for namespaces).
 *
 * A small lab: one bridge namespace and one namespace per peer (10.99.0.0/24, nothing routes out), each
 * peer its own process (bench/files-peer.ts). Every seeder's uplink is shaped with `tc tbf` to U
 * (FILES_BENCH_MBIT, default 10 Mbit/s); downloaders are not shaped. At 40 Mbit/s, 8 seeders (40 MB/s)
 * are past what one downloader beside 8 seeder processes decrypts and verifies on 2 cores (12-15 MB/s
 * measured): that measures the machine, not the swarm. Side by side in one run:
 * - edgeswarm from N = 1, 2, 4, 8 seeders at U (speedup vs N, share of the ideal min(N·U, link));
 * - edgeswarm from 4 unequal seeders U, U/2, U/4, U/8 (share of ΣU);
 * - flash crowd: 1 seeder at U, 8 downloaders at once (vs the fluid bound: the seeder must send
 *   the file once, then downloaders trade with each other on unshaped links, so T ≥ F/U);
 * - single-source HTTP at U, and stock Helia (bitswap) from the same 8 seeders;
 * - chunk verification MB/s in Node and in Chromium (1 MiB chunks, SHA-256 against the CID, the same
 *   `verifyBlock`).
 * File size FILES_BENCH_MIB (default 64); FILES_BENCH_ROWS picks rows (e.g. `crowd`, default all);
 * FILES_BENCH_N the seeder counts of the `n` row (default 1,2,4,8; speedups are against N = 1).
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { verifyBlock } from '#shared/services/files/verify.ts'
import { pseudoRandom } from '../test/helpers/files-peers.ts'
import { exec, type NsProcess, spawnIn } from '../test/nat/netns.ts'

const MIB = Number(process.env.FILES_BENCH_MIB ?? 64)
const U_MBIT = Number(process.env.FILES_BENCH_MBIT ?? 10)
const U_BYTES = (U_MBIT * 1e6) / 8
const SEEDERS = 8
/** Rows to run (comma list of http, n, helia, unequal, crowd, verify); all by default. */
const ROWS = new Set((process.env.FILES_BENCH_ROWS ?? 'http,n,helia,unequal,crowd,verify').split(','))
const DOWNLOADERS = 8
const NODE = join(import.meta.dirname, '..', 'node_modules', '.bin', 'node')
const PEER = join(import.meta.dirname, 'files-peer.ts')
const PREFIX = `esf-${process.pid}`

interface Peer {
  ns: string
  ip: string
  proc?: NsProcess
}

function sh(cmd: string[]): void {
  execFileSync(cmd[0]!, cmd.slice(1), { stdio: 'pipe' })
}

async function createLab(n: number): Promise<{ peers: Peer[]; destroy: () => void }> {
  const sw = `${PREFIX}-sw`
  sh(['ip', 'netns', 'add', sw])
  sh(['ip', 'netns', 'exec', sw, 'ip', 'link', 'add', 'br0', 'type', 'bridge'])
  sh(['ip', 'netns', 'exec', sw, 'ip', 'link', 'set', 'br0', 'up'])
  const peers: Peer[] = []
  for (let i = 0; i < n; i++) {
    const ns = `${PREFIX}-${i}`
    const ip = `10.99.0.${10 + i}`
    sh(['ip', 'netns', 'add', ns])
    sh([
      'ip',
      'link',
      'add',
      `esfa${process.pid % 10000}${i}`,
      'type',
      'veth',
      'peer',
      'name',
      `esfb${process.pid % 10000}${i}`,
    ])
    sh(['ip', 'link', 'set', `esfa${process.pid % 10000}${i}`, 'netns', ns])
    sh(['ip', 'link', 'set', `esfb${process.pid % 10000}${i}`, 'netns', sw])
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', `esfa${process.pid % 10000}${i}`, 'name', 'eth0'])
    sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up'])
    sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'])
    sh([
      'ip',
      'netns',
      'exec',
      sw,
      'ip',
      'link',
      'set',
      `esfb${process.pid % 10000}${i}`,
      'master',
      'br0',
      'up',
    ])
    peers.push({ ns, ip })
  }
  const destroy = () => {
    for (const p of peers) void p.proc?.stop('SIGKILL')
    for (const ns of [...peers.map((p) => p.ns), sw]) {
      try {
        sh(['ip', 'netns', 'del', ns])
      } catch {
        // already gone
      }
    }
  }
  return { peers, destroy }
}

/** Shapes a peer's uplink (egress of its eth0) to `bytesPerSec`; 0 removes the shaping. */
async function shape(p: Peer, bytesPerSec: number): Promise<void> {
  await exec(p.ns, ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => '')
  if (bytesPerSec <= 0) return
  const kbit = Math.round((bytesPerSec * 8) / 1000)
  await exec(p.ns, [
    'tc',
    'qdisc',
    'add',
    'dev',
    'eth0',
    'root',
    'tbf',
    'rate',
    `${kbit}kbit`,
    'burst',
    '128kb',
    'latency',
    '200ms',
  ])
}

function lines(proc: NsProcess): Array<Record<string, unknown>> {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>
      } catch {
        return {}
      }
    })
}

async function waitLine(proc: NsProcess, key: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hit = lines(proc).find((l) => l[key] === true)
    if (hit !== undefined) return hit
    if (proc.exited()) throw new Error(`peer exited: ${proc.output().slice(-1500)}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${key}: ${proc.output().slice(-800)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Bytes a seeder has served so far (its `served` answer). */
async function served(proc: NsProcess): Promise<number> {
  const before = lines(proc).filter((l) => l.served !== undefined).length
  proc.write('served')
  const deadline = Date.now() + 10_000
  for (;;) {
    const answers = lines(proc).filter((l) => l.served !== undefined)
    if (answers.length > before) return Number(answers.at(-1)!.served)
    if (Date.now() > deadline) throw new Error('seeder did not report its served bytes')
    await new Promise((r) => setTimeout(r, 50))
  }
}

function start(p: Peer, job: Record<string, unknown>): NsProcess {
  p.proc = spawnIn(
    p.ns,
    [NODE, PEER, JSON.stringify({ ip: p.ip, mib: MIB, seed: 7, ...job })],
    {},
    { stdin: true },
  )
  return p.proc
}

interface RunResult {
  mbps: number
  ms: number
  ok: boolean
  peers: number
  overheadBytes: number
  /** ms to read the finished file back for the SHA-256 check (after the timed download) */
  readBackMs: number
}

/** Starts downloaders, releases them at once, waits for their results. */
async function download(
  getters: Peer[],
  job: Record<string, unknown>,
  dial: (i: number, addrs: string[]) => string[],
  want: string,
): Promise<RunResult[]> {
  const procs = getters.map((g) => start(g, { role: 'get', ...job }))
  const ready = await Promise.all(procs.map((p) => waitLine(p, 'ready')))
  const addrs = ready.map((r) => String(r.addr ?? ''))
  for (const [i, p] of procs.entries()) p.write(JSON.stringify({ dial: dial(i, addrs) }))
  const results = await Promise.all(procs.map((p) => waitLine(p, 'result')))
  for (const p of procs) await p.stop()
  return results.map((r) => ({
    ms: Number(r.ms),
    mbps: Number(r.bytes) / 1e6 / (Number(r.ms) / 1000),
    ok: r.sha256 === want && Number(r.bytes) === MIB * 1024 * 1024,
    peers: Number(r.peers),
    overheadBytes: Number(r.overheadBytes),
    readBackMs: Number(r.readMs ?? 0),
  }))
}

export async function verifyRate(): Promise<number> {
  const chunk = pseudoRandom(1024 * 1024, 3)
  const cid = CID.createV1(0x55, await sha256.digest(chunk))
  const n = 256
  const t0 = performance.now()
  for (let i = 0; i < n; i++) if (!(await verifyBlock(cid, chunk))) throw new Error('verify failed')
  return (n * 1.048576) / ((performance.now() - t0) / 1000)
}

/**
 * The same `verifyBlock` inside Debian's Chromium (the tab verifies every chunk it downloads with
 * WebCrypto's SHA-256): bundled by esbuild for the browser and run in a page Playwright serves itself.
 */
export async function verifyRateChromium(): Promise<number> {
  const { build } = await import('esbuild')
  const { launchChromium } = await import('../test/browser/pages.ts')
  const script = `
    import { CID } from 'multiformats/cid'
    import { sha256 } from 'multiformats/hashes/sha2'
    import { verifyBlock } from './shared/src/services/files/verify.ts'
    globalThis.verifyRate = async () => {
      const chunk = new Uint8Array(1024 * 1024)
      for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24
      const cid = CID.createV1(0x55, await sha256.digest(chunk))
      const n = 256
      const t0 = performance.now()
      for (let i = 0; i < n; i++) if (!(await verifyBlock(cid, chunk))) throw new Error('verify failed')
      return (n * 1.048576) / ((performance.now() - t0) / 1000)
    }`
  const bundle = await build({
    stdin: { contents: script, resolveDir: join(import.meta.dirname, '..'), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    conditions: ['browser'],
    logLevel: 'warning',
  })
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    // WebCrypto needs a secure context: a localhost page, answered by Playwright itself (no server)
    await page.route('http://localhost/', (route) =>
      route.fulfill({ body: '<!doctype html>', contentType: 'text/html' }),
    )
    await page.goto('http://localhost/')
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text })
    return await page.evaluate(() =>
      (globalThis as unknown as { verifyRate: () => Promise<number> }).verifyRate(),
    )
  } finally {
    await browser.close()
  }
}

export async function runFilesBench(): Promise<Record<string, unknown>> {
  const want = (await import('node:crypto'))
    .createHash('sha256')
    .update(pseudoRandom(MIB * 1024 * 1024, 7))
    .digest('hex')
  const lab = await createLab(SEEDERS + DOWNLOADERS)
  const onExit = () => lab.destroy()
  process.once('SIGINT', onExit)
  try {
    const seeders = lab.peers.slice(0, SEEDERS)
    const getters = lab.peers.slice(SEEDERS)
    const seedProcs = seeders.map((s) => start(s, { role: 'seed' }))
    const seedInfo = await Promise.all(seedProcs.map((p) => waitLine(p, 'ready')))
    const cid = String(seedInfo[0]!.cid)
    const seedAddrs = seedInfo.map((s) => String(s.addr))
    for (const s of seeders) await shape(s, U_BYTES)
    const uMBps = U_BYTES / 1e6
    const out: Record<string, unknown> = { fileMiB: MIB, uplinkMbit: U_MBIT, uplinkMBps: uMBps }

    if (ROWS.has('http')) {
      const http = await download(
        [getters[0]!],
        { mode: 'http', httpUrl: `http://${seeders[0]!.ip}:8080/` },
        () => [],
        want,
      )
      out.httpSingleSource = { MBps: http[0]!.mbps, shareOfU: http[0]!.mbps / uMBps, ok: http[0]!.ok }
      console.log('http', out.httpSingleSource)
    }

    if (ROWS.has('n')) {
      const byN: Record<string, unknown> = {}
      let one = 0
      for (const n of (process.env.FILES_BENCH_N ?? '1,2,4,8').split(',').map(Number)) {
        const [r] = await download(
          [getters[0]!],
          { mode: 'edgeswarm', cid },
          () => seedAddrs.slice(0, n),
          want,
        )
        if (n === 1) one = r!.mbps
        byN[n] = {
          MBps: r!.mbps,
          speedup: one > 0 ? r!.mbps / one : undefined, // against N = 1, when it ran
          shareOfIdeal: r!.mbps / (n * uMBps),
          ok: r!.ok,
          overheadBytes: r!.overheadBytes,
          readBackMs: r!.readBackMs,
        }
        console.log('edgeswarm N =', n, byN[n])
      }
      out.edgeswarmByN = byN
    }

    if (ROWS.has('helia')) {
      const [h] = await download([getters[0]!], { mode: 'helia', cid }, () => seedAddrs, want)
      out.heliaBitswap8 = { MBps: h!.mbps, shareOfIdeal: h!.mbps / (8 * uMBps), ok: h!.ok }
      console.log('helia 8 seeders', out.heliaBitswap8)
    }

    if (ROWS.has('unequal')) {
      const rates = [1, 1 / 2, 1 / 4, 1 / 8].map((f) => f * U_BYTES)
      for (let i = 0; i < 4; i++) await shape(seeders[i]!, rates[i]!)
      const [u] = await download([getters[0]!], { mode: 'edgeswarm', cid }, () => seedAddrs.slice(0, 4), want)
      const sumU = rates.reduce((a, b) => a + b, 0) / 1e6
      out.unequalSeeders = { MBps: u!.mbps, sumUMBps: sumU, shareOfSumU: u!.mbps / sumU, ok: u!.ok }
      console.log('unequal', out.unequalSeeders)
      for (const s of seeders) await shape(s, U_BYTES)
    }

    if (ROWS.has('crowd')) {
      const servedBefore = await served(seedProcs[0]!)
      const crowd = await download(
        getters,
        { mode: 'edgeswarm', cid },
        (i, addrs) => [seedAddrs[0]!, ...addrs.filter((_, j) => j !== i)],
        want,
      )
      const fluidMs = ((MIB * 1024 * 1024) / U_BYTES) * 1000
      const slowest = Math.max(...crowd.map((c) => c.ms))
      out.flashCrowd = {
        downloaders: DOWNLOADERS,
        slowestMs: slowest,
        fluidBoundMs: Math.round(fluidMs),
        ratioToBound: slowest / fluidMs,
        allOk: crowd.every((c) => c.ok),
        // how many times the seeder sent the file: 1 is the fluid model's assumption
        seederUploadFactor: ((await served(seedProcs[0]!)) - servedBefore) / (MIB * 1024 * 1024),
        MBpsEach: crowd.map((c) => Number(c.mbps.toFixed(2))),
      }
      console.log('flash crowd', out.flashCrowd)
    }
    if (ROWS.has('verify')) {
      out.verifyNodeMBps = await verifyRate()
      out.verifyChromiumMBps = await verifyRateChromium()
      console.log(
        `chunk verification: Node ${Number(out.verifyNodeMBps).toFixed(0)} MB/s, Chromium ${Number(out.verifyChromiumMBps).toFixed(0)} MB/s`,
      )
    }
    return out
  } finally {
    process.off('SIGINT', onExit)
    lab.destroy()
  }
}

if (import.meta.main) {
  const r = await runFilesBench()
  console.log(JSON.stringify(r, null, 2))
  process.exit(0)
}

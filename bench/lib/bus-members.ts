/**
 * The processes of the messaging benchmark that host bench peers (bench/lib/bus-peer.ts): Node worker
 * processes (bench/messaging-peer.ts, JSON lines over stdin/stdout) and Chromium tabs (the page script
 * bench/messaging-tab.ts, bundled here and served from loopback). Both answer the same commands.
 */
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { build } from 'esbuild'
import type { Browser, BrowserContext } from 'playwright-core'
import { browserBuildOptions } from '../../scripts/lib/browser-build.ts'
import type { BusCommand, BusEvent } from './bus-peer.ts'
import { spawnJsonWorker } from './json-worker.ts'

export interface Member {
  name: string
  kind: 'worker' | 'tab'
  /** OS process of a worker (for CPU accounting). */
  pid?: number
  call<T>(cmd: BusCommand): Promise<T>
  close(): Promise<void>
}

export function spawnWorker(name: string, onEvent: (e: BusEvent) => void): Member {
  const w = spawnJsonWorker<BusCommand, BusEvent>(
    name,
    join(import.meta.dirname, '..', 'messaging-peer.ts'),
    { op: 'close' },
    onEvent,
  )
  return { ...w, kind: 'worker' }
}

/**
 * Serves the page script (bundled once, in memory) from a loopback HTTP server: a page whose origin is
 * on loopback may open WebSockets to loopback addresses (Chromium's local network access checks block
 * them from a page of unknown address space), and 127.0.0.1 is a secure context (WebCrypto).
 */
export async function serveTabPage(): Promise<{ url: string; close: () => Promise<void> }> {
  const r = await build({
    ...browserBuildOptions(false),
    entryPoints: [join(import.meta.dirname, '..', 'messaging-tab.ts')],
    write: false,
  })
  const script = r.outputFiles![0]!.text
  const server = createServer((req, res) => {
    const js = req.url === '/tab.js'
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' })
    res.end(js ? script : '<!doctype html><script type="module" src="/tab.js"></script>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

export async function openTab(
  browser: Browser,
  url: string,
  name: string,
  onEvent: (e: BusEvent) => void,
): Promise<Member> {
  const context: BrowserContext = await browser.newContext()
  const page = await context.newPage()
  await page.exposeFunction('benchEmit', onEvent)
  await page.goto(url)
  type G = { benchHost?: { handle: (c: BusCommand) => Promise<unknown> } }
  await page.waitForFunction(() => (globalThis as G).benchHost !== undefined, null, { timeout: 30_000 })
  // BENCH_MSG_PROFILE_DIR: the tab's CPU profile from `mark` to `report`, as the Node workers write theirs
  const profileDir = process.env.BENCH_MSG_PROFILE_DIR
  const cdp = profileDir === undefined ? undefined : await context.newCDPSession(page)
  const profile = async (op: BusCommand['op']) => {
    if (cdp === undefined) return
    if (op === 'mark') {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.start')
    } else if (op === 'report') {
      const { profile: p } = await cdp.send('Profiler.stop')
      writeFileSync(join(profileDir!, `${name}.cpuprofile`), JSON.stringify(p))
    }
  }
  return {
    name,
    kind: 'tab',
    call: async <T>(cmd: BusCommand) => {
      await profile(cmd.op)
      return (await page.evaluate((c) => (globalThis as G).benchHost!.handle(c), cmd)) as T
    },
    close: async () => {
      await page.evaluate(() => (globalThis as G).benchHost!.handle({ op: 'close' })).catch(() => undefined)
      await context.close()
    },
  }
}

/**
 * The processes of the messaging benchmark that host bench peers (bench/lib/bus-peer.ts): Node worker
 * processes (bench/messaging-peer.ts, JSON lines over stdin/stdout) and Chromium tabs (the page script
 * bench/messaging-tab.ts, bundled here and served from loopback). Both answer the same commands.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { build } from 'esbuild'
import type { Browser, BrowserContext } from 'playwright-core'
import { browserBuildOptions } from '../../scripts/lib/browser-build.ts'
import { waitFor } from '../../scripts/lib/wait.ts'
import type { BusCommand, BusEvent } from './bus-peer.ts'

export interface Member {
  name: string
  kind: 'worker' | 'tab'
  /** OS process of a worker (for CPU accounting). */
  pid?: number
  call<T>(cmd: BusCommand): Promise<T>
  close(): Promise<void>
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void }

export function spawnWorker(name: string, onEvent: (e: BusEvent) => void): Member {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(import.meta.dirname, '..', 'messaging-peer.ts')],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      // a session of its own, as Chromium (Playwright) and workerd (wrangler) get: with the kernel's
      // autogroup scheduling each session is one scheduling entity, so the workers left in ours shared
      // one share of the CPU among all their peers (docs/NOTES.md, "Messaging"). It still exits when
      // our end of its stdin closes.
      detached: true,
    },
  )
  const pending = new Map<number, Pending>()
  let req = 0
  let stderr = ''
  let exited = false
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000)
  })
  child.once('exit', (code) => {
    exited = true
    for (const p of pending.values()) p.reject(new Error(`worker ${name} exited (${code}): ${stderr}`))
    pending.clear()
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as { req?: number; reply?: unknown; error?: string } & BusEvent
    if (msg.event !== undefined) return onEvent(msg)
    const p = pending.get(msg.req!)
    pending.delete(msg.req!)
    if (msg.error !== undefined) p?.reject(new Error(`worker ${name}: ${msg.error}`))
    else p?.resolve(msg.reply)
  })
  const call = <T>(cmd: BusCommand) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`worker ${name} has exited: ${stderr}`))
      const id = req++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.stdin!.write(`${JSON.stringify({ req: id, cmd })}\n`)
    })
  return {
    name,
    kind: 'worker',
    pid: child.pid,
    call,
    close: async () => {
      if (exited) return
      await call({ op: 'close' }).catch(() => undefined)
      child.stdin!.end()
      await waitFor(`worker ${name} to exit`, () => exited, 10_000).catch(() => {
        if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      })
    },
  }
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
  return {
    name,
    kind: 'tab',
    call: <T>(cmd: BusCommand) =>
      page.evaluate((c) => (globalThis as G).benchHost!.handle(c), cmd) as Promise<T>,
    close: async () => {
      await page.evaluate(() => (globalThis as G).benchHost!.handle({ op: 'close' })).catch(() => undefined)
      await context.close()
    },
  }
}

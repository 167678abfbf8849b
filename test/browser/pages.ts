/**
 * Playwright (playwright-core) driving Debian's Chromium for the browser harness and bench: one
 * browser, one context per peer (separate storage, so separate identities), and helpers that talk to
 * the page's `window.edgeswarm` hook (browser/src/hook.ts).
 *
 * @example
 * ```ts
 * const browser = await launchChromium()
 * const a = await openPeer(browser, edge.url)
 * const link = await a.dial(b.peerId, { direct: true })
 * ```
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import type {
  DialOptions,
  EdgeswarmHook,
  LinkInfo,
  SendOptions,
  SendReport,
  Snapshot,
  StampedEvent,
  TransferRecord,
} from '../../browser/src/types.ts'

import { CHROMIUM_ARGS } from './chromium-args.ts'

export { CHROMIUM_ARGS }

const ROOT = join(import.meta.dirname, '..', '..')

export function buildBrowserBundle(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-browser.ts')], { cwd: ROOT, stdio: 'pipe' })
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  })
}

/** An init script that removes WebRTC from a context, as some browsers, policies and extensions do. */
export const NO_WEBRTC_SCRIPT = `
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCSessionDescription', 'RTCIceCandidate']) {
    try { delete window[name] } catch {}
  }
`

/**
 * An init script that lets WebRTC exist but never connect: ICE restricted to TURN relays, and there are
 * none, as on a network that blocks UDP. Signalling still crosses the relay, so the failure is ICE's.
 */
export const BLOCKED_WEBRTC_SCRIPT = `{
  const Native = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}) { super({ ...config, iceTransportPolicy: 'relay' }) }
  }
}`

export interface PagePeer {
  context: BrowserContext
  page: Page
  peerId: string
  /** Console lines and page errors, for diagnosing a failed test. */
  logs: string[]
  state(): Promise<Snapshot>
  dial(peerId: string, opts?: DialOptions): Promise<LinkInfo>
  send(peerId: string, size: number, opts?: SendOptions): Promise<SendReport>
  received(): Promise<TransferRecord[]>
  events(): Promise<StampedEvent[]>
  /** Resolves once some relay shard granted a reservation. */
  waitForReservation(timeoutMs?: number): Promise<void>
}

type Hook = { edgeswarm: EdgeswarmHook }

export interface OpenPeerOptions {
  /** false: no WebRTC at all; 'blocked': WebRTC present but ICE never connects. @default true */
  webrtc?: boolean | 'blocked'
  /** Reuse a context (e.g. to reload the same identity). */
  context?: BrowserContext
}

export async function openPeer(browser: Browser, url: string, opts: OpenPeerOptions = {}): Promise<PagePeer> {
  const context = opts.context ?? (await browser.newContext({ viewport: { width: 1280, height: 900 } }))
  if (opts.webrtc === false) await context.addInitScript(NO_WEBRTC_SCRIPT)
  if (opts.webrtc === 'blocked') await context.addInitScript(BLOCKED_WEBRTC_SCRIPT)
  const page = await context.newPage()
  const logs: string[] = []
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`))
  await page.goto(url)
  await page.waitForFunction(() => (globalThis as unknown as Hook).edgeswarm?.peerId !== undefined, null, {
    timeout: 30_000,
  })
  const peerId = await page.evaluate(() => (globalThis as unknown as Hook).edgeswarm.peerId!)
  const peer: PagePeer = {
    context,
    page,
    peerId,
    logs,
    state: () => page.evaluate(() => (globalThis as unknown as Hook).edgeswarm.state()),
    dial: (id, o) =>
      page.evaluate(([i, x]) => (globalThis as unknown as Hook).edgeswarm.dial(i, x), [id, o] as const),
    send: (id, size, o) =>
      page.evaluate(([i, n, x]) => (globalThis as unknown as Hook).edgeswarm.send(i, n, x), [
        id,
        size,
        o,
      ] as const),
    received: () => page.evaluate(() => (globalThis as unknown as Hook).edgeswarm.received()),
    events: () => page.evaluate(() => (globalThis as unknown as Hook).edgeswarm.events()),
    waitForReservation: async (timeoutMs = 30_000) => {
      await page
        .waitForFunction(
          () => (globalThis as unknown as Hook).edgeswarm.state().relays.some((r) => r.state === 'reserved'),
          null,
          { timeout: timeoutMs, polling: 100 },
        )
        .catch((err: unknown) => {
          throw new Error(`timed out waiting for a relay reservation in tab ${peerId}: ${String(err)}`)
        })
    },
  }
  return peer
}

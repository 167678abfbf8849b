/**
 * File sharing between a tab and a home node, both directions, through the real edge: the tab downloads
 * (from the page's own panel) a file the node shared, and the node downloads (CLI) a file the tab shared
 * through its file picker. SHA-256 compared on the bytes each side ended up with.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, type RunningDaemon, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { pseudoRandom } from '../helpers/files-peers.ts'
import { buildBrowserBundle, launchChromium, openPeer, type PagePeer } from './pages.ts'

const MiB = 1024 * 1024
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

interface FilesInPage {
  edgeswarm: {
    service: (
      name: string,
    ) =>
      | { getBytes: (cid: string) => Promise<Uint8Array>; list: () => Promise<Array<{ cid: string }>> }
      | undefined
  }
}

let edge: Edge
let home: RunningDaemon
let browser: Browser
let tab: PagePeer
let work: string

beforeAll(async () => {
  buildBrowserBundle()
  work = mkdtempSync(join(tmpdir(), 'edgeswarm-files-browser-'))
  edge = await startEdge()
  home = await startDaemon({ bootstrap: edge.url, startTimeoutMs: 120_000 })
  await home.waitForEvent('reservation.made')
  browser = await launchChromium()
  tab = await openPeer(browser, edge.url)
  await tab.waitForReservation()
  await tab.dial(home.peerId)
})

afterAll(async () => {
  await browser?.close()
  await home?.stop()
  await edge?.stop()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** SHA-256 (hex) of a file as the tab's files service holds it, computed inside the page. */
async function shaInTab(cid: string): Promise<string> {
  return tab.page.evaluate(async (c) => {
    const files = (globalThis as unknown as FilesInPage).edgeswarm.service('files')!
    const bytes = await files.getBytes(c)
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
    return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
  }, cid)
}

describe('files between a tab and a home node', () => {
  it('the tab downloads a file the node shared, from the page, with progress and peers', async () => {
    const data = pseudoRandom(6 * MiB + 11, 51)
    const file = join(work, 'from-node.bin')
    writeFileSync(file, data)
    const { cid } = await cliJson<{ cid: string }>(['share', file], { dataDir: home.dataDir })
    await tab.page.fill('#files-cid', cid)
    const download = tab.page.waitForEvent('download', { timeout: 120_000 })
    await tab.page.click('#files-get')
    await tab.page.waitForSelector('#files-progress.done', { timeout: 120_000 })
    expect(await tab.page.locator('#files-progress').textContent()).toMatch(/done: 6\.0 MiB .* from 1 peers/)
    const saved = await (await download).path()
    expect(sha(readFileSync(saved))).toBe(sha(data))
    expect(await shaInTab(cid)).toBe(sha(data))
  })

  it('the node downloads a file the tab shared through its picker', async () => {
    const data = pseudoRandom(5 * MiB + 7, 53)
    await tab.page.setInputFiles('#files-picker', {
      name: 'from-tab.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(data),
    })
    const cid = await tab.page.waitForFunction(
      () =>
        (
          globalThis as unknown as {
            document: { querySelector: (s: string) => { dataset: Record<string, string> } | null }
          }
        ).document.querySelector('#files-share-result')?.dataset.cid,
      undefined,
      { timeout: 60_000 },
    )
    const c = (await cid.jsonValue()) as string
    const out = join(work, 'from-tab.bin')
    const got = await cliJson<{ bytes: number; peers: number }>(['get', c, '-o', out], {
      dataDir: home.dataDir,
      timeoutMs: 180_000,
    })
    expect(got.bytes).toBe(data.byteLength)
    expect(sha(readFileSync(out))).toBe(sha(data))
  })
})

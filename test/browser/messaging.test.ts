/**
 * Messaging in Chromium tabs against the real edge, a home node and in-process peers: four tabs (one
 * without WebRTC) join a topic through the page's chat panel and every message — typed in a tab,
 * published with `edgeswarm publish`, or by an in-process peer — shows up in every tab and at every
 * other subscriber, checked by content; direct messages between a tab and the home node both ways,
 * and one held by the edge mailbox while the tab was closed, shown once when it comes back.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PubSub, PubSubMessage } from '#shared/services/messaging/types.ts'
import { type CliStream, startCliStream } from '../helpers/cli-stream.ts'
import { cliJson, type RunningDaemon, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { type ServicePeer, startServicePeer } from '../helpers/service-peer.ts'
import { waitFor } from '../helpers/wait.ts'
import { buildBrowserBundle, launchChromium, openPeer, type PagePeer } from './pages.ts'

const TOPIC = 'lobby'

let edge: Edge
let home: RunningDaemon
let stream: CliStream
let browser: Browser
const tabs: PagePeer[] = []
const peers: ServicePeer[] = []
const got = new Map<string, PubSubMessage[]>()

const bodiesIn = (page: Page) => page.locator('#chat-log li .body').allTextContents()

async function join(page: Page): Promise<void> {
  await page.locator('#chat-topic').fill(TOPIC)
  await page.locator('#chat-join').click()
  await page.locator('#chat-status', { hasText: `joined ${TOPIC}` }).waitFor({ timeout: 30_000 })
}

async function everywhere(body: string, except: string): Promise<void> {
  await waitFor(
    `"${body}" at every subscriber`,
    async () => {
      for (const t of tabs)
        if (t.peerId !== except && !(await bodiesIn(t.page)).includes(body)) return undefined
      for (const p of peers)
        if (p.peerId !== except && !got.get(p.peerId)!.some((m) => m.body === body)) return undefined
      if (home.peerId !== except && !(stream.lines as PubSubMessage[]).some((m) => m.body === body))
        return undefined
      return true
    },
    60_000,
  )
}

beforeAll(async () => {
  buildBrowserBundle()
  edge = await startEdge()
  home = await startDaemon({ bootstrap: edge.url, startTimeoutMs: 90_000 })
  await home.waitForEvent('reservation.made', undefined, 60_000)
  stream = startCliStream(['subscribe', TOPIC, '--json'], home.dataDir)
  await stream.waitForStderr(`subscribed to ${TOPIC}`)
  for (let i = 0; i < 2; i++) {
    const p = await startServicePeer({ edgeUrl: edge.url })
    const list: PubSubMessage[] = []
    got.set(p.peerId, list)
    p.service<PubSub>('pubsub').on(TOPIC, (m) => list.push(m))
    peers.push(p)
  }
  browser = await launchChromium()
  for (const webrtc of [true, true, true, false]) tabs.push(await openPeer(browser, edge.url, { webrtc }))
  for (const t of tabs) await t.waitForReservation(60_000)
  for (const t of tabs) await join(t.page)
  // readiness: the home node's probes reach every tab (the mesh has formed)
  let n = 0
  await waitFor(
    'a probe in every tab',
    async () => {
      await cliJson(['publish', TOPIC, `probe-${n++}`], { dataDir: home.dataDir })
      await new Promise((r) => setTimeout(r, 2_000))
      for (const t of tabs)
        if (!(await bodiesIn(t.page)).some((b) => b.startsWith('probe-'))) return undefined
      return true
    },
    180_000,
    0,
  )
}, 400_000)

afterAll(async () => {
  await stream?.stop()
  await browser?.close()
  await Promise.all(peers.map((p) => p.stop()))
  await home?.stop()
  await edge?.stop()
})

describe('chat in the page', () => {
  it('a message typed in a tab reaches every tab, the home node and the in-process peers', async () => {
    const body = `typed in a tab ${crypto.randomUUID()}`
    await tabs[0]!.page.locator('#chat-input').fill(body)
    await tabs[0]!.page.locator('#chat-send').click()
    await everywhere(body, tabs[0]!.peerId)
    const atHome = (stream.lines as PubSubMessage[]).find((m) => m.body === body)!
    expect(atHome.author).toBe(tabs[0]!.peerId)
  })

  it('`edgeswarm publish` and an in-process peer reach every tab, including the one without WebRTC', async () => {
    const fromHome = `from the home node ${crypto.randomUUID()}`
    await cliJson(['publish', TOPIC, fromHome], { dataDir: home.dataDir })
    const fromPeer = `from a relay-only peer ${crypto.randomUUID()}`
    await peers[0]!.service<PubSub>('pubsub').publish(TOPIC, fromPeer)
    await everywhere(fromHome, home.peerId)
    await everywhere(fromPeer, peers[0]!.peerId)
    const li = tabs[3]!.page.locator('#chat-log li', { hasText: fromHome })
    expect(await li.getAttribute('data-author')).toBe(home.peerId)
  })
})

describe('direct messages in the page', () => {
  it('tab → home node, delivered with a receipt', async () => {
    const body = `dm from a tab ${crypto.randomUUID()}`
    const page = tabs[1]!.page
    await page.locator('#dm-to').fill(home.peerId)
    await page.locator('#dm-body').fill(body)
    await page.locator('#dm-send').click()
    await page.locator('#dm-status[data-status="delivered"]').waitFor({ timeout: 60_000 })
    const inbox = await cliJson<Array<{ body: string; from: string }>>(['inbox'], { dataDir: home.dataDir })
    expect(inbox.filter((m) => m.body === body)).toEqual([expect.objectContaining({ from: tabs[1]!.peerId })])
  })

  it('home node → a closed tab: held by the edge, shown once when the tab returns', async () => {
    const tab = tabs[2]!
    await tab.page.close()
    const body = `while the tab was closed ${crypto.randomUUID()}`
    const r = await cliJson<{ status: string }>(['msg', tab.peerId, body], {
      dataDir: home.dataDir,
      timeoutMs: 120_000,
    })
    expect(r.status).toBe('queued')
    const page = await tab.context.newPage()
    await page.goto(edge.url)
    const li = page.locator('#dm-inbox li', { hasText: body })
    await li.waitFor({ timeout: 60_000 })
    expect(await li.getAttribute('data-via')).toBe('mailbox')
    expect(await li.getAttribute('data-from')).toBe(home.peerId)
    await page.reload()
    await page.locator('#dm-inbox li', { hasText: body }).waitFor({ timeout: 30_000 })
    await new Promise((r) => setTimeout(r, 3_000)) // a mailbox check on join has run
    expect(await page.locator('#dm-inbox li', { hasText: body }).count()).toBe(1)
  })
})

/**
 * Browser peers against the real edge (`wrangler dev`) and a real home node (`edgeswarm node`):
 * two tabs in separate browser contexts, a third tab with WebRTC removed, and the node. Every claim is
 * checked on bytes that crossed (SHA-256 compared at the receiver), never on page prose.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_PATH_VERIFY_TIMEOUT_MS,
  DEFAULT_UPGRADE_ANSWERER_GRACE_MS,
  DEFAULT_UPGRADE_TIMEOUT_MS,
} from '#shared/defaults.ts'
import { cliJson, type RunningDaemon, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { waitFor } from '../helpers/wait.ts'
import { buildBrowserBundle, launchChromium, openPeer, type PagePeer } from './pages.ts'

const MiB = 1024 * 1024
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results')

let edge: Edge
let home: RunningDaemon
let browser: Browser
let a: PagePeer
let b: PagePeer
/** A tab whose browser has no WebRTC (init script deletes RTCPeerConnection). */
let c: PagePeer

function diagnose(...peers: PagePeer[]): string {
  return peers.map((p) => `--- tab ${p.peerId}\n${p.logs.slice(-30).join('\n')}`).join('\n')
}

beforeAll(async () => {
  buildBrowserBundle()
  edge = await startEdge({ vars: { RELAY_SHARDS: '2' } })
  home = await startDaemon({ bootstrap: edge.url })
  await home.waitForEvent('reservation.made')
  browser = await launchChromium()
  ;[a, b, c] = await Promise.all([
    openPeer(browser, edge.url),
    openPeer(browser, edge.url),
    openPeer(browser, edge.url, { webrtc: false }),
  ])
  await Promise.all([a.waitForReservation(), b.waitForReservation(), c.waitForReservation()])
})

afterAll(async () => {
  await browser?.close()
  await home?.stop()
  await edge?.stop()
})

describe('browser peers', () => {
  it('each tab has a peer ID and a relay reservation, shown on the page', async () => {
    for (const p of [a, b, c]) {
      const s = await p.state()
      expect(s.peerId).toBe(p.peerId)
      expect(s.relays.some((r) => r.state === 'reserved')).toBe(true)
      expect(await p.page.locator('#peer-id').textContent()).toBe(p.peerId)
    }
    expect(new Set([a.peerId, b.peerId, c.peerId]).size).toBe(3)
  })

  it('browser <-> browser ends on a direct WebRTC connection, proven by the bytes that crossed it', async () => {
    const link = await a.dial(b.peerId, { direct: true, timeoutMs: 45_000 })
    expect(link.path).toBe('direct-webrtc')
    expect(link.verified).toBe(true)
    const sent = await a.send(b.peerId, 4 * MiB, { path: 'direct' })
    expect(sent.match, diagnose(a, b)).toBe(true)
    expect(sent.remoteSha256).toBe(sent.sha256)
    expect(sent.path).toBe('direct-webrtc')
    const got = await waitFor('tab B to record the transfer from A', async () =>
      (await b.received()).find((r) => r.sha256 === sent.sha256),
    )
    expect(got.bytes).toBe(4 * MiB)
    expect(got.path).toBe('direct-webrtc')
    expect(got.peer).toBe(a.peerId)
    // and back, over the same direct link
    const back = await b.send(a.peerId, 1 * MiB)
    expect(back.match).toBe(true)
    expect(back.path).toBe('direct-webrtc')
  })

  it('browser <-> home node: direct WebRTC, bytes with a checksum cross both ways', async () => {
    const link = await a.dial(home.peerId, { direct: true, timeoutMs: 45_000 })
    expect(link.path).toBe('direct-webrtc')
    await waitFor('tab A to identify the home node as a Node peer', async () =>
      (await a.state()).links.some((l) => l.peer === home.peerId && l.role === 'node'),
    )
    const up = await a.send(home.peerId, 2 * MiB, { path: 'direct' })
    expect(up.match, diagnose(a)).toBe(true)
    expect(up.path).toBe('direct-webrtc')
    const arrived = await home.waitForEvent('transfer.received', (e) => e.sha256 === up.sha256)
    expect(arrived.bytes).toBe(2 * MiB)

    const down = await cliJson<{ sha256: string; match: boolean; path: string; label: string }>(
      ['send', a.peerId, '--bytes', String(2 * MiB)],
      { dataDir: home.dataDir },
    )
    expect(down.match).toBe(true)
    const got = await waitFor('tab A to record the transfer from the node', async () =>
      (await a.received()).find((r) => r.sha256 === down.sha256),
    )
    expect(got.peer).toBe(home.peerId)
    expect(got.complete).toBe(true)
    // tab B reaches the node too
    await b.dial(home.peerId, { timeoutMs: 30_000 })
    const fromB = await b.send(home.peerId, 1 * MiB)
    expect(fromB.match).toBe(true)
  })

  it('a tab without WebRTC says so and still reaches the others through the relay', async () => {
    const s = await c.state()
    expect(s.webrtc.available).toBe(false)
    expect(await c.page.locator('#webrtc').textContent()).toContain('not available')
    for (const target of [a, b]) {
      const link = await c.dial(target.peerId, { timeoutMs: 30_000 })
      expect(link.path).toBe('relayed')
      const sent = await c.send(target.peerId, 2 * MiB)
      expect(sent.match, diagnose(c, target)).toBe(true)
      expect(sent.path).toBe('relayed')
      expect(sent.shard).toMatch(/^[0-9]+$/)
      const got = await waitFor('the WebRTC-less transfer to arrive', async () =>
        (await target.received()).find((r) => r.sha256 === sent.sha256),
      )
      expect(got.path).toBe('relayed')
    }
    const toNode = await c.send(home.peerId, 1 * MiB).catch(async () => {
      await c.dial(home.peerId, { timeoutMs: 30_000 })
      return c.send(home.peerId, 1 * MiB)
    })
    expect(toNode.match).toBe(true)
    expect(toNode.path).toBe('relayed')
  })

  it('the page draws the overlay with three connected peers (screenshot artifact)', async () => {
    // A is connected to B (direct), the node and C (relayed): wait until the page shows all three
    await waitFor(
      'tab A to show three connected peers',
      async () => {
        const s = await a.state()
        const peers = new Set(s.links.filter((l) => !l.toRelay).map((l) => l.peer))
        return peers.has(b.peerId) && peers.has(c.peerId) && peers.has(home.peerId)
      },
      30_000,
    )
    await a.page.waitForTimeout(1_200) // one redraw tick
    const edges = await a.page.locator('svg.graph line[data-peer]').count()
    const rows = await a.page.locator('#connections tbody tr').count()
    expect(edges).toBeGreaterThanOrEqual(3)
    expect(rows).toBeGreaterThanOrEqual(3)
    expect(await a.page.locator('svg.graph line[data-kind="direct"]').count()).toBeGreaterThanOrEqual(1)
    expect(await a.page.locator('svg.graph line[data-kind="relayed"]').count()).toBeGreaterThanOrEqual(1)
    // neighbours of the bounded-degree overlay wear a ring (B and C at least; a public home node offers
    // relay hop and counts as a relay); the caption gives their count and the routing table size
    await waitFor(
      'the graph to ring two neighbours',
      async () =>
        (await a.page.locator('svg.graph circle[data-neighbour]').count()) >= 2 ? true : undefined,
      15_000,
      250,
    )
    expect(await a.page.locator('#graph-routing').textContent()).toMatch(
      /^neighbours \d+ \/ 24 · routing table \d+ peers$/,
    )
    mkdirSync(ARTIFACTS, { recursive: true })
    await a.page.screenshot({ path: join(ARTIFACTS, 'browser-overlay.png'), fullPage: true })
  })

  it('a tab whose WebRTC cannot connect says "WebRTC blocked", drops the dead link and uses the relay', async () => {
    const d = await openPeer(browser, edge.url, { webrtc: 'blocked' })
    try {
      await d.waitForReservation()
      await expect(d.dial(a.peerId, { direct: true, timeoutMs: 25_000 })).rejects.toThrow(
        /no direct connection/,
      )
      // the dial gives up at its own deadline; the upgrade it started reports its failure when its last
      // attempt ends (an answerer's grace plus one WebRTC attempt of up to the upgrade timeout can run
      // past the dial's 25 s on a loaded machine), so wait for that line rather than read it at once
      const line = `WebRTC to …${a.peerId.slice(-6)} blocked or failed`
      await waitFor(
        'tab D to say WebRTC to A is blocked',
        async () => ((await d.state()).errors.some((e) => e.includes(line)) ? true : undefined),
        DEFAULT_UPGRADE_TIMEOUT_MS + DEFAULT_UPGRADE_ANSWERER_GRACE_MS,
        250,
      )
      expect(await d.page.locator('#errors').textContent()).toContain('blocked or failed')
      // no WebRTC connection that carried nothing stays open on either side: each is closed once its
      // verification ping goes unanswered (new attempts may be in flight, younger than that)
      for (const p of [a, d]) {
        const other = p === a ? d.peerId : a.peerId
        const s = await p.state()
        const stale = s.links.filter(
          (l) =>
            l.peer === other &&
            l.path === 'direct-webrtc' &&
            l.verified !== true &&
            Date.now() - l.openedAt > DEFAULT_PATH_VERIFY_TIMEOUT_MS + 2_000,
        )
        expect(stale).toEqual([])
      }
      const fellBack = (await a.events()).concat(await d.events())
      expect(fellBack.some((e) => e.event === 'path.relay-fallback')).toBe(true)
      const sent = await d.send(a.peerId, 2 * MiB)
      expect(sent.match, diagnose(d, a)).toBe(true)
      expect(sent.path).toBe('relayed')
    } finally {
      await d.context.close()
    }
  })

  it('a reload keeps the peer ID; "reset identity" makes a new one', async () => {
    const context = await browser.newContext()
    const first = await openPeer(browser, edge.url, { context })
    const again = await openPeer(browser, edge.url, { context })
    expect(again.peerId).toBe(first.peerId)
    await again.page.click('#reset-identity')
    await again.page.waitForFunction(
      (old) => {
        const id = (globalThis as unknown as { edgeswarm?: { peerId?: string } }).edgeswarm?.peerId
        return id !== undefined && id !== old
      },
      first.peerId,
      { timeout: 30_000 },
    )
    await context.close()
  })

  it('an unreachable bootstrap is shown on the page and retried with backoff', async () => {
    const context = await browser.newContext()
    let blocked = true
    await context.route('**/v1/bootstrap', (route) =>
      blocked ? route.abort('connectionrefused') : route.continue(),
    )
    const page = await context.newPage()
    await page.goto(edge.url)
    await page.waitForSelector('#errors .error', { timeout: 20_000 })
    expect(await page.locator('#errors').textContent()).toMatch(/bootstrap \S+ unreachable/)
    const errors = await waitFor('two failed bootstrap attempts', async () => {
      const events = await page.evaluate(() =>
        (globalThis as unknown as { edgeswarm: { events(): Array<{ event: string }> } }).edgeswarm
          .events()
          .filter((e) => e.event === 'bootstrap.failed'),
      )
      return events.length >= 2 ? events : undefined
    })
    expect(errors.length).toBeGreaterThanOrEqual(2)
    blocked = false
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { edgeswarm: { state(): { relays: Array<{ state: string }> } } }).edgeswarm
          .state()
          .relays.some((r) => r.state === 'reserved'),
      null,
      { timeout: 40_000 },
    )
    await context.close()
  })
})

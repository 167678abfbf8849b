/**
 * The edge goes away and comes back (a redeploy: new relay identities on the same URL). The tab shows
 * the lost relays, retries with backoff, re-reads the bootstrap document and reserves on the new relays
 * without a reload, keeping its own peer ID.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { waitFor } from '../helpers/wait.ts'
import { buildBrowserBundle, launchChromium, openPeer } from './pages.ts'

let edge: Edge | undefined
let browser: Browser

beforeAll(async () => {
  buildBrowserBundle()
  edge = await startEdge({ vars: { RELAY_SHARDS: '1' } })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await edge?.stop()
})

describe('browser peer across an edge restart', () => {
  it('shows the lost relay, retries, and reserves on the new relay without a reload', async () => {
    const tab = await openPeer(browser, edge!.url)
    await tab.waitForReservation()
    const before = (await tab.state()).relays.map((r) => r.peerId)
    const port = edge!.port

    await edge!.stop()
    edge = undefined
    await waitFor(
      'the tab to report its relay lost or unreachable',
      async () => {
        const s = await tab.state()
        return s.relays.every((r) => r.state !== 'reserved') && s.errors.length > 0
      },
      30_000,
    )
    expect(await tab.page.locator('#errors .error').count()).toBeGreaterThan(0)

    edge = await startEdge({ port, vars: { RELAY_SHARDS: '1' } })
    await waitFor(
      'a reservation on the restarted edge',
      async () => {
        const s = await tab.state()
        return s.relays.some((r) => r.state === 'reserved' && !before.includes(r.peerId))
      },
      90_000,
      250,
    )
    const s = await tab.state()
    expect(s.peerId).toBe(tab.peerId)
    const events = await tab.events()
    expect(events.some((e) => e.event === 'reservation.lost' || e.event === 'reservation.retry')).toBe(true)
  })
})

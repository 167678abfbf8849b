/**
 * A relay that refuses a tab's reservation (shard full): the page shows the relay's reason, retries
 * with growing delays, and reserves as soon as a slot frees. Own edge: one shard, one reservation.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { waitFor } from '../helpers/wait.ts'
import { buildBrowserBundle, launchChromium, openPeer } from './pages.ts'

let edge: Edge
let browser: Browser

beforeAll(async () => {
  buildBrowserBundle()
  edge = await startEdge({ vars: { RELAY_SHARDS: '1', MAX_RESERVATIONS: '1' } })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await edge?.stop()
})

describe('browser peer and a refusing relay', () => {
  it('shows the refusal with its reason, backs off, and reserves once a slot frees', async () => {
    const first = await openPeer(browser, edge.url)
    await first.waitForReservation()
    const second = await openPeer(browser, edge.url)

    const refusals = await waitFor(
      'two refused reservations in the second tab',
      async () => {
        const events = (await second.events()).filter((e) => e.event === 'reservation.refused')
        return events.length >= 2 ? events : undefined
      },
      30_000,
    )
    for (const e of refusals) {
      expect(e.event === 'reservation.refused' && e.reason).toBe(
        'relay refused the reservation: RESERVATION_REFUSED',
      )
      expect(e.event === 'reservation.refused' && e.retryInMs > 0).toBe(true)
    }
    const banner = await second.page.locator('#errors').textContent()
    expect(banner).toContain('shard 0: relay refused the reservation: RESERVATION_REFUSED')
    expect(banner).toMatch(/retrying in \d+ s/)
    expect(await second.page.locator('#relays .state.refused').count()).toBe(1)

    // the first tab leaves: its slot frees on disconnect and the second tab's retry gets it
    await first.context.close()
    await second.waitForReservation(60_000)
    expect((await second.state()).errors.filter((e) => e.includes('RESERVATION_REFUSED'))).toEqual([])
  })
})

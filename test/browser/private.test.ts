/**
 * A private overlay (NETWORK_KEY set on the edge): a tab opened with `?key=<network key>` joins
 * (bootstrap with the bearer token, `/edgeswarm/auth/1.0.0` answered, reservation granted); a tab
 * without it says the network is private and keeps retrying.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { waitFor } from '../helpers/wait.ts'
import { buildBrowserBundle, launchChromium, openPeer } from './pages.ts'

const KEY = 'browser-test-network-key'
let edge: Edge
let browser: Browser

beforeAll(async () => {
  buildBrowserBundle()
  edge = await startEdge({ vars: { RELAY_SHARDS: '1', NETWORK_KEY: KEY } })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await edge?.stop()
})

describe('browser peer in a private overlay', () => {
  it('joins with ?key= and moves bytes; without the key the page says the network is private', async () => {
    const [a, b] = await Promise.all([
      openPeer(browser, `${edge.url}/?key=${KEY}`),
      openPeer(browser, `${edge.url}/?key=${KEY}`),
    ])
    await Promise.all([a.waitForReservation(), b.waitForReservation()])
    expect((await a.state()).bootstrap.private).toBe(true)
    const sent = await a.send(b.peerId, 1024 * 1024)
    expect(sent.match).toBe(true)

    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(edge.url)
    await page.waitForSelector('#errors .error', { timeout: 20_000 })
    await waitFor('the private-network message', async () =>
      ((await page.locator('#errors').textContent()) ?? '').includes('this network is private'),
    )
    await context.close()
  })
})

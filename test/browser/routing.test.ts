/**
 * A browser tab finds a provider announced by a home node: the real edge (`wrangler dev`), a real
 * `edgeswarm node` that runs `edgeswarm provide`, and a Chromium tab asking its routing service
 * (`window.edgeswarm.service('routing')`). Also the page's find-peer lookup and the CLI's bad-input line.
 * Run: `vitest run --project browser test/browser/routing.test.ts`.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProviderResult } from '#shared/services/routing/types.ts'
import { cliJson, type RunningDaemon, runCli, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { waitFor } from '../helpers/wait.ts'
import { buildBrowserBundle, launchChromium, openPeer, type PagePeer } from './pages.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

let edge: Edge
let home: RunningDaemon
let browser: Browser
let tab: PagePeer

beforeAll(async () => {
  buildBrowserBundle()
  edge = await startEdge({ vars: { RELAY_SHARDS: '1' } })
  home = await startDaemon({ bootstrap: edge.url })
  await home.waitForEvent('reservation.made')
  browser = await launchChromium()
  tab = await openPeer(browser, edge.url)
  await tab.waitForReservation()
})

afterAll(async () => {
  await browser?.close()
  await home?.stop()
  await edge?.stop()
})

describe('routing in the browser', () => {
  it('a tab finds a provider announced by a home node', async () => {
    const provided = await cliJson<{ stored: string[] }>(['provide', CID], { dataDir: home.dataDir })
    expect(provided.stored).toContain('edge')
    const found = await waitFor(
      'the tab finds the home node as provider',
      async () => {
        const list = (await tab.page.evaluate(async (cid) => {
          const r = (
            globalThis as unknown as { edgeswarm: { service: (n: string) => unknown } }
          ).edgeswarm.service('routing') as {
            findProviders: (c: string, o: { limit: number }) => AsyncIterable<unknown>
          }
          const out: unknown[] = []
          for await (const p of r.findProviders(cid, { limit: 5 })) out.push(p)
          return out
        }, CID)) as ProviderResult[]
        return list.find((p) => p.peerId === home.peerId)
      },
      60_000,
      1_000,
    )
    expect(found.source).toBe('edge')
    expect(found.hops).toBe(1)
    // the edge hands out only addresses it vouches for: here the circuit through its shard
    expect(found.addrs.some((a) => a.includes('/p2p-circuit'))).toBe(true)
  })

  it('the page looks up a peer ID', async () => {
    await tab.page.fill('#find-peer-input', home.peerId)
    await tab.page.click('#find-peer-button')
    await waitFor(
      'find-peer result on the page',
      async () => ((await tab.page.textContent('#find-peer-result')) ?? '').includes('source '),
      60_000,
      500,
    )
    expect(await tab.page.textContent('#find-peer-result')).toContain(home.peerId)
    expect(await tab.page.textContent('#routing-table-size')).toMatch(/[0-9]+ peers/)
  })

  it('the CLI refuses a malformed CID and peer ID with one clear line', async () => {
    for (const args of [
      ['find', 'not-a-cid'],
      ['provide', 'Qm123'],
      ['find-peer', '12D3KooWnope'],
    ]) {
      const res = await runCli(args, { dataDir: home.dataDir })
      expect(res.code).toBe(1)
      expect(res.stderr.trim().split('\n')).toHaveLength(1)
      expect(res.stderr).toMatch(/InvalidInputError: (cid|peer ID)/)
    }
    const find = await runCli(['find', CID, '--json'], { dataDir: home.dataDir })
    expect(find.code).toBe(0)
    const first = JSON.parse(find.stdout.trim().split('\n')[0]!) as ProviderResult
    expect(first).toMatchObject({ peerId: home.peerId, source: expect.stringMatching(/edge|dht/) })
    expect(typeof first.ms).toBe('number')
  })
})

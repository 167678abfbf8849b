/**
 * File sharing across NATs: two seeders in home A (one NAT router, two daemons) share one file; a
 * downloader in home B, behind another router, finds them through the overlay's routing (edge index)
 * and fetches from both at once with `edgeswarm get`, as a person would. The copy's SHA-256 must match
 * the original, and home A's router counters say which way the bytes went:
 * - eim x eim: WebRTC can punch through both routers, so once the downloader has its direct paths the
 *   chunks must leave home A straight to home B, not through the edge;
 * - eim x symmetric: a symmetric NAT picks a new port per destination, so no direct path exists; the
 *   download must still complete, with the chunks crossing the edge relay.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CLI, daemonDriver, daemonMissing } from './drivers/daemon.ts'
import type { LabPeer } from './drivers/types.ts'
import { createLab, type Lab, NODE, trapTeardown } from './lab.ts'
import type { NatMode } from './router.ts'
import { diffCounters } from './router.ts'
import { classifyBulk, MiB, type NatContext, startPeer } from './run-pair.ts'
import { skipNotice } from './skip.ts'

const skipLab = skipNotice()
const missing = daemonMissing()
const FILE_BYTES = 6 * MiB

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The JSON document a CLI command printed with `--json` (some pretty-print it: parse from the first brace). */
function json(out: string): Record<string, unknown> {
  const start = out.indexOf('{')
  if (start < 0) throw new Error(`expected JSON from the CLI, got: ${out.slice(-500)}`)
  return JSON.parse(out.slice(start)) as Record<string, unknown>
}

describe.skipIf(skipLab || missing !== undefined)('nat: file sharing', () => {
  let lab: Lab
  let ctx: NatContext
  let untrap = () => {}
  const tmp = mkdtempSync(join(tmpdir(), 'edgeswarm-nat-files-'))

  beforeAll(async () => {
    lab = await createLab()
    untrap = trapTeardown(lab)
    ctx = { lab, edge: await lab.startEdge(), driver: daemonDriver }
  })

  afterAll(async () => {
    await lab?.destroy()
    untrap()
    rmSync(tmp, { recursive: true, force: true })
  })

  const cli = (peer: LabPeer, args: string[]) =>
    lab.exec(peer.home.host, [NODE, CLI, ...args, '--data-dir', peer.dataDir])

  async function swarm(natB: NatMode) {
    await lab.removeHome('a')
    await lab.removeHome('b')
    const homeA = await lab.addHome('a', 'eim')
    await lab.addHome('b', natB)
    const seeders = await Promise.all([startPeer(ctx, 'a'), startPeer(ctx, 'a')])
    const downloader = await startPeer(ctx, 'b')
    const peers = [...seeders, downloader]
    const file = join(tmp, `shared-${natB}.bin`)
    const original = randomBytes(FILE_BYTES)
    writeFileSync(file, original)
    try {
      const cids = new Set<string>()
      for (const s of seeders) cids.add(String(json(await cli(s, ['share', file, '--json'])).cid))
      expect(cids.size, 'both seeders computed the same CID').toBe(1)
      const [cid] = cids
      return { homeA, seeders, downloader, cid: cid!, original, peers }
    } catch (err) {
      await Promise.all(peers.map((p) => p.stop()))
      throw err
    }
  }

  test('eim x eim: the downloader fetches from both seeders over direct paths; bytes match', async () => {
    const { homeA, seeders, downloader, cid, original, peers } = await swarm('eim')
    try {
      // give the paths their chance to go direct first, as a long-lived overlay would have
      for (const s of seeders) {
        const dialled = json(await cli(downloader, ['dial', s.peerId, '--wait-direct', '20000', '--json']))
        expect(dialled.direct, `downloader -> seeder ${s.peerId}: ${JSON.stringify(dialled)}`).toBe(true)
      }
      // a path of its own per attempt: a retry must not meet the first attempt's copy (`get` refuses it)
      const out = join(tmp, `copy-eim-${Date.now()}.bin`)
      const before = await homeA.counters()
      const summary = json(await cli(downloader, ['get', cid, '-o', out, '--json']))
      const routerA = diffCounters(before, await homeA.counters())
      expect(sha256(readFileSync(out))).toBe(sha256(original))
      expect(summary.bytes).toBe(FILE_BYTES)
      console.log(
        `files eim x eim: ${FILE_BYTES / MiB} MiB in ${summary.ms} ms from ${summary.peers} seeders; ` +
          `home A sent ${(routerA.upToOthers / MiB).toFixed(1)} MiB to home B, ${(routerA.upToServices / MiB).toFixed(1)} MiB to the edge`,
      )
      expect(summary.peers, 'both seeders served chunks').toBe(2)
      expect(classifyBulk(routerA, FILE_BYTES)).toBe('direct')
    } finally {
      await Promise.all(peers.map((p) => p.stop()))
    }
  })

  test('eim x symmetric: no direct path exists, the download completes through the edge relay', async () => {
    const { homeA, downloader, cid, original, peers } = await swarm('symmetric')
    try {
      const out = join(tmp, `copy-symmetric-${Date.now()}.bin`)
      const before = await homeA.counters()
      const summary = json(await cli(downloader, ['get', cid, '-o', out, '--json']))
      const routerA = diffCounters(before, await homeA.counters())
      expect(sha256(readFileSync(out))).toBe(sha256(original))
      console.log(
        `files eim x symmetric: ${FILE_BYTES / MiB} MiB in ${summary.ms} ms from ${summary.peers} seeders; ` +
          `home A sent ${(routerA.upToOthers / MiB).toFixed(1)} MiB to home B, ${(routerA.upToServices / MiB).toFixed(1)} MiB to the edge`,
      )
      // a symmetric NAT maps each destination to a new port, so the port a STUN server saw is not the
      // one a seeder would have to reach: without port prediction only the relay carries the chunks
      expect(classifyBulk(routerA, FILE_BYTES)).toBe('edge')
    } finally {
      await Promise.all(peers.map((p) => p.stop()))
    }
  })
})

/**
 * The NAT matrix: two `edgeswarm node` daemons in two homes behind `{public, eim, symmetric}` routers,
 * one edge (workerd via `wrangler dev`) and a STUN server on the public segment. Each cell: A finds B
 * by peer ID through the bootstrap, sends 8 MiB, both ends' SHA-256 must match, and the path the bytes
 * took is asserted three ways (sender's report, receiver's record, router byte counters). A cell not
 * expected to go direct asserts the relayed path and says why. Then the fault cells.
 *
 * One lab and one edge serve every cell; each cell rebuilds both homes (fresh routers, so no mapping
 * or conntrack entry survives) and starts fresh daemons with fresh identities.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { waitFor } from '../helpers/wait.ts'
import { daemonDriver, daemonMissing } from './drivers/daemon.ts'
import type { LabPeer } from './drivers/types.ts'
import { createLab, type Lab, trapTeardown } from './lab.ts'
import { diffCounters, NAT_MODES } from './router.ts'
import {
  classifyBulk,
  describePair,
  expectation,
  MiB,
  type NatContext,
  runPair,
  startPeer,
} from './run-pair.ts'
import { skipNotice } from './skip.ts'

const skipLab = skipNotice()
const missing = daemonMissing()
if (!skipLab && missing !== undefined) {
  console.warn(`\n!!! NAT MATRIX SKIPPED: the daemon CLI is not available (${missing}). !!!\n`)
}

/** Bounded recovery time after a fault (relay shard gone, node restarted), ms. */
const RECOVERY_MS = 45_000

/**
 * Sends 1 MiB from a to b until it arrives with matching digests; returns the time it took. Fails at
 * once if a daemon died: retrying a dead daemon would only hide the crash behind a timeout.
 */
async function reachableWithin(a: LabPeer, b: LabPeer, timeoutMs: number) {
  const t0 = Date.now()
  let last = ''
  while (Date.now() - t0 < timeoutMs) {
    try {
      const sent = await a.send(b, MiB)
      if (sent.remoteSha256 === sent.sha256) return { ms: Date.now() - t0, sent }
      last = `digest mismatch ${sent.sha256} vs ${sent.remoteSha256}`
    } catch (err) {
      last = (err as Error).message
      if (last.includes('daemon not running')) throw new Error(`a daemon died while retrying: ${last}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${b.peerId} to be reachable again: ${last}`)
}

describe.skipIf(skipLab || missing !== undefined)('nat matrix', () => {
  let lab: Lab
  let ctx: NatContext
  let untrap = () => {}

  beforeAll(async () => {
    lab = await createLab()
    untrap = trapTeardown(lab)
    const edge = await lab.startEdge()
    ctx = { lab, edge, driver: daemonDriver }
  })

  afterAll(async () => {
    await lab?.destroy()
    untrap()
  })

  for (const a of NAT_MODES) {
    for (const b of NAT_MODES) {
      const exp = expectation(a, b)
      test(`nat ${a} x ${b}`, async () => {
        const r = await runPair(ctx, a, b)
        console.log(describePair(r))
        expect(r.send.bytes).toBe(8 * MiB)
        expect(r.send.remoteSha256, 'receiver digest answered to the sender').toBe(r.send.sha256)
        expect(r.receipt.sha256, "receiver's own record").toBe(r.send.sha256)
        expect(r.receipt.bytes).toBe(8 * MiB)
        const counters = `router A counters over the transfer: ${JSON.stringify(r.routerA)}`
        if (exp.path === 'direct') {
          expect(r.send.path, exp.why).toMatch(/^direct-/)
          expect(r.receipt.path, exp.why).toMatch(/^direct-/)
          expect(r.bulkVia, counters).toBe('direct')
        } else {
          expect(r.send.path, `expected relayed: ${exp.why}`).toBe('relayed')
          expect(r.receipt.path, `expected relayed: ${exp.why}`).toBe('relayed')
          expect(r.bulkVia, `${exp.why}; ${counters}`).toBe('edge')
        }
      })
    }
  }

  test('nat symmetric x symmetric: relay shard stopped, node reachable through another shard', async () => {
    // Relay-only cell: if the shard B reserved on goes away, only another shard can reach B.
    const r = await runPair(ctx, 'symmetric', 'symmetric', { bytes: MiB, keep: true })
    try {
      const held = await waitFor(
        'B to hold reservations on two shards',
        () => {
          const s = r.b.shards()
          return s.length >= 2 ? s : undefined
        },
        30_000,
      )
      // Block the shard the A -> B circuit actually runs through (B holds a reservation there).
      const victim = r.send.shard ?? held[0]!
      expect(held).toContain(victim)
      await lab.setShardBlocked(Number(victim), true)
      const { ms, sent } = await reachableWithin(r.a, r.b, RECOVERY_MS)
      console.log(
        `shard ${victim} blocked: B reachable again after ${ms} ms via ${sent.path} shard ${sent.shard}`,
      )
      expect(sent.path).toBe('relayed')
      expect(sent.shard).not.toBe(victim)
      expect(ms).toBeLessThan(RECOVERY_MS)
    } finally {
      await lab.setShardBlocked(0, false)
      await lab.setShardBlocked(1, false)
      await r.cleanup()
    }
  })

  test('nat eim x eim: a first bulk send lets the upgrade finish, then goes direct', async () => {
    // the first contact is a 64 MiB send: started on the relayed connection at once, it would queue the
    // upgrade's signalling behind it (1.1-2.4 s measured); the send waits for the upgrade under way
    // (at most DEFAULT_SEND_AWAIT_UPGRADE_MS after the relayed connection opened) and the bytes go direct
    await lab.removeHome('a')
    await lab.removeHome('b')
    const homeA = await lab.addHome('a', 'eim')
    await lab.addHome('b', 'eim')
    const dirs = [
      mkdtempSync(join(tmpdir(), 'edgeswarm-nat-a-')),
      mkdtempSync(join(tmpdir(), 'edgeswarm-nat-b-')),
    ]
    const peers: LabPeer[] = []
    try {
      peers.push(...(await Promise.all([startPeer(ctx, 'a', dirs[0]), startPeer(ctx, 'b', dirs[1])])))
      const [a, b] = peers as [LabPeer, LabPeer]
      const before = await homeA.counters()
      const sent = await a.send(b, 64 * MiB)
      const routerA = diffCounters(before, await homeA.counters())
      expect(sent.remoteSha256, 'receiver digest answered to the sender').toBe(sent.sha256)
      const up = await a.waitDirect(b, 15_000)
      console.log(
        `first contact a 64 MiB send: ${sent.path} in ${sent.transferMs} ms (bulk via ` +
          `${classifyBulk(routerA, 64 * MiB)}), upgrade ${up?.upgradeMs ?? '-'} ms (start ${up?.startMs}, dial ${up?.dialMs})`,
      )
      expect(sent.path).toBe('direct-webrtc')
      expect(classifyBulk(routerA, 64 * MiB), JSON.stringify(routerA)).toBe('direct')
      expect(up?.upgradeMs).toBeLessThan(600)
    } finally {
      await Promise.all(peers.map((p) => p.stop()))
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
    }
  })

  test('nat eim x eim: home node restarts, keeps its peer ID and is reachable again', async () => {
    const r = await runPair(ctx, 'eim', 'eim', { bytes: MiB, keep: true })
    let b2: LabPeer | undefined
    try {
      const oldId = r.b.peerId
      await r.b.stop()
      const restartedAt = Date.now()
      b2 = await startPeer(ctx, 'b', r.b.dataDir)
      expect(b2.peerId).toBe(oldId)
      const { ms } = await reachableWithin(r.a, b2, RECOVERY_MS)
      console.log(
        `B restarted with the same peer ID: reserved ${b2.reservedMs} ms after its spawn, reachable again ` +
          `${ms} ms later (${Date.now() - restartedAt} ms from spawn to A's confirmed send)`,
      )
      expect(ms).toBeLessThan(RECOVERY_MS)
    } finally {
      await b2?.stop()
      await r.cleanup()
    }
  })
})

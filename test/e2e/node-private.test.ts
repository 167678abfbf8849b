/**
 * Private networks: against an edge with NETWORK_KEY set, a daemon without (or with a wrong) key gets
 * one clear error line; with the key (flag or EDGESWARM_NETWORK_KEY) it passes the relays'
 * `/edgeswarm/auth/1.0.0` challenge, reserves on both shards and moves data.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, type RunningDaemon, runCli, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { createPeer, stopAll, waitForReservation } from '../helpers/peers.ts'

const KEY = 'e2e-private-network-key-0123456789'

describe('home node in a private network', () => {
  let edge: Edge
  const daemons: RunningDaemon[] = []
  const dir = mkdtempSync(join(tmpdir(), 'edgeswarm-private-'))

  beforeAll(async () => {
    edge = await startEdge({ vars: { NETWORK_KEY: KEY } })
  })
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()))
    await edge?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses to start without the key or with a wrong one', async () => {
    for (const extra of [[], ['--network-key', 'wrong']]) {
      const res = await runCli(['node', '--bootstrap', edge.url, '--data-dir', join(dir, 'x'), ...extra])
      expect(res.code).toBe(1)
      expect(res.stderr.trim()).toMatch(
        /^edgeswarm: BootstrapError: bootstrap \S+ answered HTTP 40[13] \(wrong or missing --network-key\?\)$/,
      )
    }
  })

  it('joins with the key, reserves on both shards and moves data', async () => {
    const a = await startDaemon({
      bootstrap: edge.url,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--network-key', KEY],
    })
    daemons.push(a)
    const b = await startDaemon({
      bootstrap: edge.url,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0'],
      env: { EDGESWARM_NETWORK_KEY: KEY },
    })
    daemons.push(b)
    for (const d of [a, b]) {
      await d.waitForEvent('reservation.made', (e) => e.shard === '0')
      await d.waitForEvent('reservation.made', (e) => e.shard === '1')
    }
    const sent = await cliJson<{ match: boolean; path: string }>(
      ['send', b.peerId, '--bytes', String(1024 * 1024), '--path', 'relayed'],
      { dataDir: a.dataDir },
    )
    expect(sent).toMatchObject({ match: true, path: 'relayed' })
  })

  it('a --relay home node grants reservations only to peers with the key, and keeps its edge links', async () => {
    const relay = await startDaemon({
      bootstrap: edge.url,
      args: [
        '--listen',
        '/ip4/127.0.0.1/tcp/0/ws',
        '--relay',
        '--public-cidr',
        '127.0.0.0/8',
        '--network-key',
        KEY,
        '--log-level',
        'debug',
      ],
    })
    daemons.push(relay)
    await relay.waitForEvent('relay.enabled')
    const status = await cliJson<{ addrs: string[] }>(['status'], { dataDir: relay.dataDir })
    const wsAddr = status.addrs.find((a) => a.includes('/ws/') && !a.includes('p2p-circuit'))!
    const member = await createPeer({ relays: [wsAddr], networkKey: KEY })
    try {
      await waitForReservation(member, relay.peerId)
      // a stock peer without the key: its reservation (its only listen address) is refused
      await expect(createPeer({ relays: [wsAddr] })).rejects.toThrow(/PERMISSION_DENIED/)
      const after = await cliJson<{
        reservations: unknown[]
        relay: { reservations: number; refusals: Record<string, number> }
      }>(['status'], { dataDir: relay.dataDir })
      expect(after.relay.reservations).toBe(1)
      expect(after.relay.refusals.unauthorized).toBeGreaterThanOrEqual(1)
      // a relay-side gate that also challenged our own edge links (the shards do not answer) would hang
      // up on them after its grace: only peers asking us for a reservation or circuit are challenged
      const doc = (await (
        await fetch(`${edge.url}/v1/bootstrap`, { headers: { authorization: `Bearer ${KEY}` } })
      ).json()) as {
        relays: Array<{ peerId: string }>
      }
      const shardIds = doc.relays.map((r) => r.peerId)
      await expect(
        relay.waitForEvent('relay.auth', (e) => shardIds.includes(String(e.peer)), 11_000),
      ).rejects.toThrow(/timed out/)
      expect(relay.events.find((e) => e.event === 'relay.auth' && e.result === 'granted')?.peer).toBe(
        member.peerId.toString(),
      )
      expect(after.reservations).toHaveLength(2)
    } finally {
      await stopAll(member)
    }
  })
})

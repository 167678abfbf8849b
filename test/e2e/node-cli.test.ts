/**
 * `edgeswarm` CLI end to end: bad input gives one clear line and a non-zero exit; two daemons on
 * loopback join through the real edge (workerd via `wrangler dev`), hold reservations on both shards,
 * move 8 MiB with matching SHA-256 at both ends, and keep their peer IDs across a restart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_NEIGHBOURS } from '#shared/defaults.ts'
import { cliJson, type RunningDaemon, runCli, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { freePort } from '../helpers/ports.ts'
import { waitFor } from '../helpers/wait.ts'

function expectOneLineError(res: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(res.code, res.stderr).not.toBe(0)
  const lines = res.stderr.trim().split('\n')
  expect(lines[0]).toMatch(pattern)
  // at most the usage hint follows; never a stack
  expect(lines.length, res.stderr).toBeLessThanOrEqual(2)
  expect(res.stderr).not.toMatch(/^\s+at /m)
}

describe('edgeswarm CLI: bad input', () => {
  let server: Server
  let url: string
  let body = ''
  const dirs: string[] = []
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'edgeswarm-cli-'))
    dirs.push(d)
    return d
  }

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const addr = server.address()
    url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('unreachable bootstrap URL', async () => {
    const port = await freePort()
    const res = await runCli(['node', '--bootstrap', `http://127.0.0.1:${port}`, '--data-dir', tempDir()])
    expectOneLineError(
      res,
      /^edgeswarm: BootstrapError: bootstrap http:\/\/127\.0\.0\.1:\d+\/v1\/bootstrap unreachable: ECONNREFUSED/,
    )
  })

  it('bootstrap answering garbage or an invalid document', async () => {
    body = '<html>not json</html>'
    expectOneLineError(
      await runCli(['node', '--bootstrap', url, '--data-dir', tempDir()]),
      /^edgeswarm: BootstrapError: .* did not answer JSON/,
    )
    body = JSON.stringify({
      version: 1,
      network: 'x',
      protocol: '/edgeswarm/1.0.0',
      private: false,
      relays: 'no',
    })
    expectOneLineError(
      await runCli(['node', '--bootstrap', url, '--data-dir', tempDir()]),
      /^edgeswarm: BootstrapError: .* invalid document: bootstrap\.relays must be an array/,
    )
  })

  it('invalid flags and arguments', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['node'], /InvalidInputError: --bootstrap <URL> is required/],
      [['node', '--bootstrap', url, '--bogus'], /UsageError: Unknown option '--bogus'/],
      [['node', '--bootstrap', 'ftp://x'], /InvalidInputError: --bootstrap must be an http\(s\) URL/],
      [
        ['node', '--bootstrap', url, '--listen', '/ip4/nope/tcp/1'],
        /InvalidMultiaddrError: --listen must be a multiaddr/,
      ],
      [
        ['node', '--bootstrap', url, '--public-cidr', '198.51.100.0'],
        /--public-cidr must be an IPv4 CIDR range/,
      ],
      [['node', '--bootstrap', url, '--stun', 'turn:x'], /--stun must be a URL such as stun:/],
      [['node', '--bootstrap', url, '--log-level', 'loud'], /--log-level must be one of/],
      [['ping'], /UsageError: expected exactly 1 argument/],
      [['send', 'x', '--bytes', 'lots'], /--bytes must be a size/],
      [['frobnicate'], /UsageError: unknown command "frobnicate"/],
    ]
    for (const [args, pattern] of cases) expectOneLineError(await runCli(args), pattern)
  })

  it('client commands without a running daemon', async () => {
    const dir = tempDir()
    expectOneLineError(
      await runCli(['status'], { dataDir: dir }),
      /ControlError: no daemon running for data dir/,
    )
    writeFileSync(join(dir, 'control.json'), JSON.stringify({ port: await freePort(), token: 'x', pid: 1 }))
    expectOneLineError(await runCli(['status'], { dataDir: dir }), /ControlError: daemon not running/)
  })

  it('corrupt identity key; --debug adds the stack', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'identity.key'), 'garbage\n', { mode: 0o600 })
    body = '{}'
    const res = await runCli(['node', '--bootstrap', url, '--data-dir', dir])
    expectOneLineError(res, /IdentityError: identity key .*identity\.key is corrupt/)
    const debug = await runCli(['node', '--bootstrap', url, '--data-dir', dir, '--debug'])
    expect(debug.code).toBe(1)
    expect(debug.stderr).toMatch(/^\s+at /m)
  })
})

describe('edgeswarm CLI: two daemons through the real edge', () => {
  let edge: Edge
  let a: RunningDaemon
  let b: RunningDaemon
  const keep = mkdtempSync(join(tmpdir(), 'edgeswarm-keep-'))

  beforeAll(async () => {
    edge = await startEdge()
    ;[a, b] = await Promise.all([
      startDaemon({ bootstrap: edge.url, dataDir: join(keep, 'a') }),
      startDaemon({ bootstrap: edge.url }),
    ])
  })
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await edge?.stop()
    rmSync(keep, { recursive: true, force: true })
  })

  it('status shows reservations on both shards', async () => {
    for (const d of [a, b]) {
      await d.waitForEvent('reservation.made', (e) => e.shard === '0')
      await d.waitForEvent('reservation.made', (e) => e.shard === '1')
    }
    // poll: under `wrangler dev` a worker reload drops every socket and the node re-reserves
    const status = await waitFor(
      'status to list reservations on shards 0 and 1',
      async () => {
        const s = await cliJson<{ peerId: string; reservations: Array<{ shard: string; relay: string }> }>(
          ['status'],
          { dataDir: a.dataDir },
        )
        return s.reservations.length === 2 ? s : undefined
      },
      30_000,
      500,
    )
    expect(status.peerId).toBe(a.peerId)
    expect(status.reservations.map((r) => r.shard).sort()).toEqual(['0', '1'])
    const doc = (await (await fetch(`${edge.url}/v1/bootstrap`)).json()) as {
      relays: Array<{ shard: string; peerId: string }>
    }
    for (const r of status.reservations) {
      expect(r.relay).toBe(doc.relays.find((x) => x.shard === r.shard)?.peerId)
    }
  })

  it('send moves 8 MiB with a matching SHA-256 at both ends', async () => {
    const size = 8 * 1024 * 1024
    const sent = await cliJson<{
      sha256: string
      remoteSha256: string
      match: boolean
      path: string
      bytes: number
    }>(['send', b.peerId, '--bytes', String(size)], { dataDir: a.dataDir, timeoutMs: 120_000 })
    expect(sent.bytes).toBe(size)
    expect(sent.match).toBe(true)
    expect(sent.remoteSha256).toBe(sent.sha256)
    expect(['relayed', 'direct-webrtc', 'direct-tcp', 'direct-ws']).toContain(sent.path)
    const got = await cliJson<{
      received: Array<{ peer: string; bytes: number; sha256: string; path: string }>
    }>(['transfers'], { dataDir: b.dataDir })
    const record = got.received.find((r) => r.peer === a.peerId && r.bytes === size)
    expect(record?.sha256).toBe(sent.sha256)
  })

  it('ping and status report the path and RTT of every connection', async () => {
    const ping = await cliJson<{ rttsMs: number[]; path: string }>(['ping', b.peerId, '--count', '3'], {
      dataDir: a.dataDir,
    })
    expect(ping.rttsMs).toHaveLength(3)
    const getStatus = () =>
      cliJson<{
        connections: Array<{ peer: string; path: string; rttMs?: number; neighbour: boolean }>
        routing: { mode: string; routingTableSize: number; neighbours: string[]; target: number }
      }>(['status'], { dataDir: a.dataDir })
    // status pings every open connection before it answers; one that closes meanwhile (a discovery or
    // neighbour dial being trimmed) has no echo and so no RTT: ask once more before judging
    let status = await getStatus()
    if (status.connections.some((c) => typeof c.rttMs !== 'number')) status = await getStatus()
    const toB = status.connections.filter((c) => c.peer === b.peerId)
    expect(toB.length).toBeGreaterThan(0)
    for (const c of status.connections) expect(typeof c.rttMs, `RTT of ${JSON.stringify(c)}`).toBe('number')
    // neighbours and the routing table size: b is a neighbour (a non-relay peer), the shards are not
    expect(status.routing.target).toBe(DEFAULT_NEIGHBOURS)
    expect(status.routing.neighbours).toContain(b.peerId)
    expect(toB.every((c) => c.neighbour)).toBe(true)
    expect(status.connections.filter((c) => !c.neighbour).length).toBeGreaterThan(0)
    expect(Number.isInteger(status.routing.routingTableSize)).toBe(true)
    const text = await runCli(['status'], { dataDir: a.dataDir })
    expect(text.stdout).toMatch(/routing +DHT (client|server), routing table \d+ peers, neighbours \d+ \/ 24/)
  })

  it('upgrades to a traffic-verified direct path and keeps the relay as fallback', async () => {
    const dial = await cliJson<{ direct: boolean; path: string }>(
      ['dial', b.peerId, '--wait-direct', '20000'],
      {
        dataDir: a.dataDir,
        timeoutMs: 60_000,
      },
    )
    expect(dial.direct).toBe(true)
    const size = 1024 * 1024
    const direct = await cliJson<{ match: boolean; path: string }>(
      ['send', b.peerId, '--bytes', String(size), '--path', 'direct'],
      { dataDir: a.dataDir },
    )
    expect(direct.match).toBe(true)
    expect(direct.path).toMatch(/^direct-/)
    const relayed = await cliJson<{ match: boolean; path: string; shard?: string; sha256: string }>(
      ['send', b.peerId, '--bytes', String(size), '--path', 'relayed'],
      { dataDir: a.dataDir },
    )
    expect(relayed.match).toBe(true)
    expect(relayed.path).toBe('relayed')
    expect(['0', '1']).toContain(relayed.shard)
    const got = await cliJson<{ received: Array<{ sha256: string; label: string }> }>(['transfers'], {
      dataDir: b.dataDir,
    })
    expect(got.received.find((r) => r.sha256 === relayed.sha256)?.label).toMatch(/^relayed via shard [01]$/)
    const direct_ = a.events.find((e) => e.event === 'path.direct' && e.peer === b.peerId)
    expect(direct_?.path).toBe(direct.path)
  })

  it('refuses a second daemon on the same data dir', async () => {
    const res = await runCli(['node', '--bootstrap', edge.url, '--data-dir', a.dataDir])
    expectOneLineError(res, /^edgeswarm: ControlError: a daemon is already running for data dir/)
  })

  it('a restarted daemon keeps its peer ID and is reachable again', async () => {
    const before = a.peerId
    await a.stop()
    a = await startDaemon({ bootstrap: edge.url, dataDir: join(keep, 'a') })
    expect(a.peerId).toBe(before)
    await a.waitForEvent('reservation.made')
    const back = await waitFor(
      'b to reach the restarted a',
      async () => {
        const res = await runCli(['ping', a.peerId, '--json'], { dataDir: b.dataDir })
        return res.code === 0 ? (res.json as { rttsMs: number[] }) : undefined
      },
      30_000,
      500,
    )
    expect(back.rttsMs).toHaveLength(1)
  })
})

/**
 * File sharing end to end on the local edge (workerd via `wrangler dev`): real `edgeswarm node`
 * daemons, the real CLI. One node shares 32 MiB, four nodes fetch it at the same time, every copy's
 * SHA-256 matches (the seeder references big.bin instead of copying it); bad input (unknown CID, unwritable output, full disk) fails with one clear line and
 * loses nothing; unshare stops sharing.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, type RunningDaemon, runCli, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { pseudoRandom } from '../helpers/files-peers.ts'

const MiB = 1024 * 1024
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** Bytes of every file under `dir`. */
function dirBytes(dir: string): number {
  let n = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size
  return n
}

interface GetSummary {
  cid: string
  out: string
  bytes: number
  resumedBytes: number
  peers: number
  ms: number
}

describe('edgeswarm share / get / files / unshare', () => {
  let edge: Edge
  let seeder: RunningDaemon
  const downloaders: RunningDaemon[] = []
  let work: string
  let bigCid = ''
  const big = pseudoRandom(32 * MiB, 21)

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'edgeswarm-files-'))
    edge = await startEdge()
    const started = await Promise.all(
      [0, 1, 2, 3, 4].map(() => startDaemon({ bootstrap: edge.url, startTimeoutMs: 300_000 })),
    )
    seeder = started[0]!
    downloaders.push(...started.slice(1))
    // providers come from routing when it runs, and from connected peers in any case
    for (const d of downloaders) await cliJson(['dial', seeder.peerId], { dataDir: d.dataDir })
  }, 600_000)

  afterAll(async () => {
    for (const d of [...downloaders, seeder]) await d?.stop()
    await edge?.stop()
    if (work !== undefined) {
      spawnSync('umount', [join(work, 'full')])
      rmSync(work, { recursive: true, force: true })
    }
  })

  it('share prints the CID of a file and of a directory; files lists them', async () => {
    writeFileSync(join(work, 'big.bin'), big)
    const shared = await runCli(['share', 'big.bin'], { dataDir: seeder.dataDir, cwd: work })
    expect(shared.code, shared.stderr).toBe(0)
    bigCid = shared.stdout.trim()
    expect(bigCid).toMatch(/^bafybei[a-z2-7]+$/)
    // shared by path: the 32 MiB stay in big.bin, the node's blockstore holds only the DAG's structure
    expect(dirBytes(join(seeder.dataDir, 'services', 'files'))).toBeLessThan(MiB)
    mkdirSync(join(work, 'tree', 'sub'), { recursive: true })
    writeFileSync(join(work, 'tree', 'a.txt'), 'a')
    writeFileSync(join(work, 'tree', 'sub', 'b.txt'), 'b')
    const dir = await cliJson<{ cid: string; type: string }>(['share', join(work, 'tree')], {
      dataDir: seeder.dataDir,
    })
    expect(dir.type).toBe('directory')
    const list = await cliJson<Array<{ cid: string; bytes: number }>>(['files'], { dataDir: seeder.dataDir })
    expect(list.map((f) => f.cid).sort()).toEqual([bigCid, dir.cid].sort())
    expect(list.find((f) => f.cid === bigCid)?.bytes).toBe(32 * MiB)
  })

  it('four nodes fetch 32 MiB at the same time and every copy matches', async () => {
    const outs = downloaders.map((_, i) => join(work, `copy-${i}.bin`))
    const results = await Promise.all(
      downloaders.map((d, i) =>
        cliJson<GetSummary>(['get', bigCid, '-o', outs[i]!], { dataDir: d.dataDir, timeoutMs: 300_000 }),
      ),
    )
    for (const [i, r] of results.entries()) {
      expect(r.bytes).toBe(32 * MiB)
      expect(sha(readFileSync(outs[i]!))).toBe(sha(big))
      expect(existsSync(`${outs[i]}.edgeswarm-partial`)).toBe(false)
    }
  }, 420_000)

  it('a directory downloads as a tree', async () => {
    const list = await cliJson<Array<{ cid: string; type: string }>>(['files'], { dataDir: seeder.dataDir })
    const dir = list.find((f) => f.type === 'directory')!
    const out = join(work, 'tree-copy')
    await cliJson(['get', dir.cid, '-o', out], { dataDir: downloaders[0]!.dataDir })
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('a')
    expect(readFileSync(join(out, 'sub', 'b.txt'), 'utf8')).toBe('b')
  })

  it('an unknown CID fails with one clear line after the timeout', async () => {
    const started = Date.now()
    const res = await runCli(
      [
        'get',
        'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyka',
        '-o',
        join(work, 'nothing'),
        '--timeout',
        '3',
      ],
      { dataDir: downloaders[1]!.dataDir },
    )
    expect(res.code).toBe(1)
    expect(res.stderr.trim()).toMatch(/^edgeswarm: NotFoundError: no peer provided bafkrei\S+ within 3 s/)
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('an output path that cannot be written fails before downloading', async () => {
    const res = await runCli(['get', bigCid, '-o', join(work, 'missing-dir', 'x.bin')], {
      dataDir: downloaders[1]!.dataDir,
    })
    expect(res.code).toBe(1)
    expect(res.stderr.trim()).toMatch(/^edgeswarm: InvalidInputError: cannot write to .*missing-dir/)
    const exists = await runCli(['get', bigCid, '-o', join(work, 'big.bin')], {
      dataDir: downloaders[1]!.dataDir,
    })
    expect(exists.stderr.trim()).toMatch(/already exists/)
    const bad = await runCli(['get', 'not-a-cid', '-o', join(work, 'y')], {
      dataDir: downloaders[1]!.dataDir,
    })
    expect(bad.stderr.trim()).toMatch(/^edgeswarm: InvalidInputError: not a CID/)
  })

  it('a full disk fails cleanly, leaves no partial output, and the next get resumes', async (ctx) => {
    const data = pseudoRandom(8 * MiB, 33)
    writeFileSync(join(work, 'eight.bin'), data)
    const { cid } = await cliJson<{ cid: string }>(['share', join(work, 'eight.bin')], {
      dataDir: seeder.dataDir,
    })
    const full = join(work, 'full')
    mkdirSync(full)
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', full]).status !== 0) {
      ctx.skip()
      return
    }
    const d = downloaders[2]!
    const res = await runCli(['get', cid, '-o', join(full, 'eight.bin')], { dataDir: d.dataDir })
    expect(res.code).toBe(1)
    expect(res.stderr.trim()).toMatch(/ENOSPC|no space/i)
    expect(existsSync(join(full, 'eight.bin'))).toBe(false)
    expect(existsSync(join(full, 'eight.bin.edgeswarm-partial'))).toBe(false)
    const again = await cliJson<GetSummary>(['get', cid, '-o', join(work, 'eight-copy.bin')], {
      dataDir: d.dataDir,
    })
    expect(again.resumedBytes).toBe(8 * MiB)
    expect(sha(readFileSync(join(work, 'eight-copy.bin')))).toBe(sha(data))
  })

  it('unshare stops sharing and frees the blocks', async () => {
    const r = await cliJson<{ removed: boolean }>(['unshare', bigCid], { dataDir: seeder.dataDir })
    expect(r.removed).toBe(true)
    const list = await cliJson<Array<{ cid: string }>>(['files'], { dataDir: seeder.dataDir })
    expect(list.map((f) => f.cid)).not.toContain(bigCid)
    const again = await runCli(['unshare', bigCid], { dataDir: seeder.dataDir })
    expect(again.stderr.trim()).toMatch(/is not shared by this node/)
  })
})

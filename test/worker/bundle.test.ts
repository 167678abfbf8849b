/**
 * The worker bundles offline (`wrangler deploy --dry-run`) and fits the free plan's 3 MiB limit
 * (measured on the gzip size Cloudflare checks, and asserted on the raw size as well, which is stricter).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const LIMIT_BYTES = 3 * 1024 * 1024

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
}

describe('worker bundle', () => {
  const out = mkdtempSync(join(tmpdir(), 'edgeswarm-bundle-'))
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('bundles offline with wrangler deploy --dry-run and stays under 3 MiB', () => {
    const node = join(ROOT, 'node_modules', '.bin', 'node')
    const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
    const run = spawnSync(node, [wrangler, 'deploy', '--dry-run', '--outdir', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        CI: 'true',
        NO_COLOR: '1',
      },
    })
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0)
    const code = files(out).filter((f) => /\.(m?js|wasm)$/.test(f))
    expect(code.length).toBeGreaterThan(0)
    const raw = code.reduce((n, f) => n + statSync(f).size, 0)
    const gzip = code.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).byteLength, 0)
    console.log(
      `worker bundle: ${(raw / 1024).toFixed(0)} KiB raw, ${(gzip / 1024).toFixed(0)} KiB gzip (${code.length} files)`,
    )
    expect(gzip).toBeLessThan(LIMIT_BYTES)
    expect(raw).toBeLessThan(LIMIT_BYTES)
  })
})

/**
 * A clean first run: a fresh `git clone` stays clean (`git status --porcelain` empty) after the install
 * step the README's commands run first (`npm start` and `npm test` both begin with
 * scripts/bootstrap.mjs, whose `npm install` must not rewrite package-lock.json). The install reuses
 * the machine's npm cache (`prefer-offline`), so it needs the registry only for what the cache lacks.
 * Slow (a full install, minutes on a busy 2-core machine): one test, a generous timeout.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const INSTALL_TIMEOUT_MS = 15 * 60_000

describe('a fresh clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeswarm-clone-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('stays clean after the first-run install (scripts/bootstrap.mjs)', {
    timeout: INSTALL_TIMEOUT_MS + 60_000,
  }, () => {
    const clone = join(dir, 'edgeswarm')
    execFileSync('git', ['clone', '--quiet', ROOT, clone])
    execFileSync(process.execPath, [join(clone, 'scripts', 'bootstrap.mjs')], {
      cwd: clone,
      env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
      stdio: 'pipe',
      timeout: INSTALL_TIMEOUT_MS,
    })
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })
    expect(status, `the install changed tracked files:\n${status}`).toBe('')
  })
})

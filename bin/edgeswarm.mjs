#!/usr/bin/env node
// Entry point of `edgeswarm`. The CLI is TypeScript. It runs the bundle `npm run build` makes
// (dist/node/cli.mjs, scripts/build-node.ts: it starts in a quarter of the time) when that bundle is
// newer than every source file, and otherwise the sources themselves through Node >= 22.18's type
// stripping (EDGESWARM_FROM_SOURCE=1 forces the sources). On an older Node this re-runs itself with
// the Node 22 that the project's `node` npm dependency installs.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Newest modification time (ms) of the files below `dir`. */
function newest(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/** The bundle, if it exists and no source or lock file changed after it was built. */
function freshBundle() {
  if (process.env.EDGESWARM_FROM_SOURCE === '1') return undefined
  const bundle = join(root, 'dist', 'node', 'cli.mjs')
  if (!existsSync(bundle)) return undefined
  const built = statSync(bundle).mtimeMs
  const sources = [join(root, 'node', 'src'), join(root, 'shared', 'src')]
  const changed = Math.max(...sources.map(newest), statSync(join(root, 'package-lock.json')).mtimeMs)
  return changed < built ? bundle : undefined
}
const [major, minor] = process.versions.node.split('.').map(Number)
const strips = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18)
if (strips) {
  const bundle = freshBundle()
  // V8's code cache for the bundle (in the OS temp dir): about a fifth less start-up CPU from the 2nd run
  if (bundle !== undefined) nodeModule.enableCompileCache?.()
  await import(bundle ?? join(root, 'node', 'src', 'cli.ts'))
} else {
  const node22 = join(root, 'node_modules', '.bin', 'node')
  if (!existsSync(node22)) {
    console.error(`edgeswarm: needs Node >= 22.18 (this is ${process.versions.node}); run npm install first`)
    process.exit(1)
  }
  const child = spawn(node22, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  // stopping this wrapper by PID must stop the daemon too
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)))
}

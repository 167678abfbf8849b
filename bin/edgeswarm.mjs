#!/usr/bin/env node
// Entry point of `edgeswarm`. The CLI is TypeScript run by Node >= 22.18's type stripping; on an older
// Node this re-runs itself with the Node 22 that the project's `node` npm dependency installs.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [major, minor] = process.versions.node.split('.').map(Number)
const strips = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18)
if (strips) {
  await import(join(root, 'node', 'src', 'cli.ts'))
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

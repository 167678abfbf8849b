#!/usr/bin/env node
// Runs before `npm start` and `npm test` (npm's pre-scripts) on whatever Node the machine has (20+):
// installs the project's npm dependencies (which bring Node 22 for everything after) and, with
// --system, the Debian packages the test harnesses need. Idempotent and quiet when all is in place.
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const APT_PACKAGES = {
  chromium: '/usr/bin/chromium', // browser tests (Playwright drives Debian's Chromium)
  iptables: '/usr/sbin/iptables', // NAT lab routers
  conntrack: '/usr/sbin/conntrack', // NAT lab: flush mappings between cells
  iproute2: '/usr/sbin/ip', // NAT lab: netns, veth, bridge, tc
  coturn: '/usr/bin/turnserver', // NAT lab: STUN server on the public segment
}

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
}

function npmInstallNeeded() {
  const marker = join(root, 'node_modules', '.package-lock.json')
  if (!existsSync(marker) || !existsSync(join(root, 'node_modules', '.bin', 'node'))) return true
  return statSync(join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs
}

if (npmInstallNeeded()) {
  // `npm install`, not `npm ci`: npm 11 writes a lock without other platforms' optional packages,
  // which `npm ci` then rejects as out of sync; `npm install` installs exactly the locked versions.
  console.log('edgeswarm: installing npm dependencies (first run, about a minute)...')
  run('npm', ['install', '--no-audit', '--no-fund'])
}

if (process.argv.includes('--system')) {
  const missing = Object.entries(APT_PACKAGES)
    .filter(([, bin]) => !existsSync(bin))
    .map(([pkg]) => pkg)
  if (missing.length > 0) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
    if (!isRoot || !existsSync('/usr/bin/apt-get')) {
      console.warn(
        `edgeswarm: NOTICE missing system packages (${missing.join(', ')}); not root or no apt-get,`,
      )
      console.warn(
        'edgeswarm: NOTICE so the harnesses that need them will be skipped. Install them to run everything.',
      )
    } else {
      console.log(`edgeswarm: installing Debian packages: ${missing.join(' ')}`)
      const env = { DEBIAN_FRONTEND: 'noninteractive' }
      run('apt-get', ['update', '-qq'], env)
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], env)
    }
  }
}

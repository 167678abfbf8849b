/**
 * `npm start`: the local overlay on this machine. Starts the edge on workerd (`wrangler dev`) at
 * http://127.0.0.1:8787 (a free port if 8787 is busy), prints the bootstrap URL and the page, starts
 * one home node joined to it (data dir `.edgeswarm/node`, git-ignored, so its peer ID survives
 * restarts), prints the node's status, and stops everything it started on Ctrl-C / SIGTERM.
 *
 * @example
 * ```sh
 * npm start
 * node bin/edgeswarm.mjs status --data-dir .edgeswarm/node   # in another terminal
 * ```
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type RunningDaemon, runCli, startDaemon } from './lib/daemon.ts'
import { type Edge, startEdge } from './lib/edge.ts'
import { freePort } from './lib/ports.ts'

const ROOT = join(import.meta.dirname, '..')
const DEFAULT_PORT = 8787
const NODE_DATA_DIR = join(ROOT, '.edgeswarm', 'node')

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

function say(line: string): void {
  process.stdout.write(`edgeswarm: ${line}\n`)
}

let edge: Edge | undefined
let node: RunningDaemon | undefined
let stopping = false

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    say('stopping...')
    await node?.stop().catch((err: unknown) => say(`home node did not stop cleanly: ${String(err)}`))
    await edge?.stop().catch((err: unknown) => say(`edge did not stop cleanly: ${String(err)}`))
  }
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

try {
  if (!existsSync(join(ROOT, 'dist', 'browser', 'index.html'))) {
    say('building the browser page (dist/browser)...')
    await import('./build-browser.ts')
  }
  if (!existsSync(join(ROOT, 'dist', 'node', 'cli.mjs'))) {
    say('building the home node (dist/node)...')
    await import('./build-node.ts')
  }
  const port = (await portFree(DEFAULT_PORT)) ? DEFAULT_PORT : await freePort()
  if (port !== DEFAULT_PORT) say(`port ${DEFAULT_PORT} is busy, using ${port}`)
  say('starting the edge (wrangler dev, workerd)...')
  edge = await startEdge({ port, shardPorts: true })
  say(`edge:      ${edge.url}   (open it in a browser to join)`)
  say(`bootstrap: ${edge.url}/v1/bootstrap`)
  node = await startDaemon({
    bootstrap: edge.url,
    dataDir: NODE_DATA_DIR,
    args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws'],
    verbose: false,
  })
  say(`home node: ${node.peerId} (data dir .edgeswarm/node)`)
  const shards = new Set<string>()
  await node
    .waitForEvent('reservation.made', (e) => shards.add(String(e.shard)).size >= 2, 20_000)
    .catch(() => say('the home node holds fewer than two reservations so far (see status)'))
  const status = await runCli(['status'], { dataDir: NODE_DATA_DIR })
  process.stdout.write(`${status.stdout}${status.stderr}`)
  say('more: node bin/edgeswarm.mjs status --data-dir .edgeswarm/node   |   Ctrl-C stops everything')
  say('home node events (also in .edgeswarm/node/events.jsonl):')
  let shown = 0
  const follow = setInterval(() => {
    for (const e of node?.events.slice(shown) ?? []) process.stdout.write(`  ${JSON.stringify(e)}\n`)
    shown = node?.events.length ?? 0
  }, 500)
  follow.unref()
  const code = await node.exited
  if (!stopping) {
    say(`the home node exited (code ${code}):\n${node.output().slice(-1500)}`)
    await shutdown(1)
  }
} catch (err) {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`)
  await shutdown(1)
}

/**
 * Starts the real edge worker on workerd via `wrangler dev` (offline, loopback or a lab address) and
 * stops it by PID. Used by `npm start`, benchmarks and the worker, e2e, NAT and browser harnesses.
 * With `shardPorts`, every shard n ≥ 1 also gets its own loopback port (a byte-for-byte TCP forward
 * to wrangler dev's port, see shard-ports.ts), announced as a plain `/ws` address that stock
 * js-libp2p peers can dial: the local stand-in for one DNS name per shard (docs/OPERATIONS.md).
 *
 * @example
 * ```ts
 * const edge = await startEdge({ vars: { RELAY_SHARDS: '3' } })
 * const doc = await (await fetch(`${edge.url}/v1/bootstrap`)).json()
 * await edge.stop()
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.ts'
import { forwardShardPorts } from './shard-ports.ts'
import { waitFor } from './wait.ts'

export interface EdgeOptions {
  /** Address to bind. @default '127.0.0.1' */
  ip?: string
  /** Port to bind. @default a free port */
  port?: number
  /** Worker vars (and secrets such as NETWORK_KEY) passed with `--var`. */
  vars?: Record<string, string>
  /** Command prefix, e.g. `['ip', 'netns', 'exec', 'pub']` to run inside a lab namespace. */
  wrap?: string[]
  /** Print wrangler's output. @default false unless EDGESWARM_DEBUG is set */
  verbose?: boolean
  /** One loopback port per shard n ≥ 1 (SHARD_PORTS), so stock libp2p peers can use every shard. @default false */
  shardPorts?: boolean
}

export interface Edge {
  url: string
  ip: string
  port: number
  /** Ports of shards 1, 2, ... when started with `shardPorts` (empty otherwise). */
  shardPorts: number[]
  /** wrangler dev's inspector (Chrome DevTools protocol of the worker isolate, e.g. for heap usage). */
  inspectorPort: number
  process: ChildProcess
  /** Everything wrangler printed (for diagnosing a failed test). */
  output: () => string
  stop: () => Promise<void>
}

const ROOT = join(import.meta.dirname, '..', '..')

export async function startEdge(opts: EdgeOptions = {}): Promise<Edge> {
  const ip = opts.ip ?? '127.0.0.1'
  const port = opts.port ?? (await freePort())
  const inspector = await freePort()
  const persist = mkdtempSync(join(tmpdir(), 'edgeswarm-edge-'))
  const wrangler = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
  const node = join(ROOT, 'node_modules', '.bin', 'node')
  const args = [
    wrangler,
    'dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--inspector-port',
    String(inspector),
    '--persist-to',
    persist,
    '--show-interactive-dev-session=false',
    // the shard's console.log JSON lines need 'log'; keep wrangler quiet unless debugging
    '--log-level',
    process.env.EDGESWARM_DEBUG === undefined ? 'warn' : 'log',
  ]
  const vars = { ...opts.vars }
  const forwards =
    opts.shardPorts === true && opts.wrap === undefined
      ? await forwardShardPorts(ip, port, Number(vars.RELAY_SHARDS ?? '2') - 1)
      : undefined
  if (forwards !== undefined) {
    vars.PUBLIC_URL ??= `http://${ip}:${port}`
    vars.SHARD_PORTS = forwards.ports.join(',')
  }
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`)
  const [cmd, ...rest] = [...(opts.wrap ?? []), node, ...args]
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_SANITIZE: 'true',
      CI: 'true',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  const verbose = opts.verbose ?? process.env.EDGESWARM_DEBUG !== undefined
  const onData = (d: Buffer) => {
    out += d.toString()
    if (out.length > 200_000) out = out.slice(-100_000)
    if (verbose) process.stderr.write(d)
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  const url = `http://${ip}:${port}`
  const stop = async () => {
    await forwards?.close()
    if (!exited && child.pid !== undefined) {
      // wrangler spawns workerd: signal our own process group (we started it detached), by PID.
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // already gone
      }
      const gone = await waitFor('wrangler to exit', () => exited, 5_000).catch(() => false)
      if (gone === false) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
    rmSync(persist, { recursive: true, force: true })
  }
  try {
    await waitFor(
      `wrangler dev to answer ${url}/healthz`,
      async () => {
        if (exited) throw new Error(`wrangler exited early:\n${out.slice(-2000)}`)
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })
        return res.ok
      },
      90_000,
      250,
    )
  } catch (err) {
    await stop()
    throw err
  }
  const shardPorts = forwards?.ports ?? []
  return { url, ip, port, shardPorts, inspectorPort: inspector, process: child, output: () => out, stop }
}

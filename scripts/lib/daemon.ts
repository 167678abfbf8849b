/**
 * Spawns `edgeswarm node` daemons and runs CLI commands against them, optionally inside a network
 * namespace (`wrap: ['ip', 'netns', 'exec', 'es-1-ha']`). Daemons are stopped by PID. Used by
 * `npm start` (scripts/start.ts), benchmarks and the harness tests.
 *
 * @example
 * ```ts
 * const a = await startDaemon({ bootstrap: edge.url })
 * await a.waitForEvent('reservation.made', (e) => e.shard === '1')
 * const sent = await runCli(['send', peerB, '--bytes', '8MiB', '--json'], { dataDir: a.dataDir })
 * await a.stop()
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './wait.ts'

const ROOT = join(import.meta.dirname, '..', '..')
/** Node 22 (type stripping) from the project's `node` dependency. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node')
export const CLI = join(ROOT, 'bin', 'edgeswarm.mjs')

export interface DaemonEvent {
  event: string
  [field: string]: unknown
}

export interface DaemonOptions {
  bootstrap: string
  /** @default a new temp dir, removed by stop() unless `keepDataDir` */
  dataDir?: string
  keepDataDir?: boolean
  /** Extra flags for `edgeswarm node`. @default loopback TCP + WS listeners */
  args?: string[]
  /** Command prefix, e.g. `['ip', 'netns', 'exec', 'ns']`. */
  wrap?: string[]
  env?: Record<string, string>
  /** Echo the daemon's stderr. @default EDGESWARM_DEBUG set */
  verbose?: boolean
  /** @default 30_000 */
  startTimeoutMs?: number
}

export interface RunningDaemon {
  peerId: string
  dataDir: string
  process: ChildProcess
  events: DaemonEvent[]
  output: () => string
  waitForEvent: (
    name: string,
    match?: (e: DaemonEvent) => boolean,
    timeoutMs?: number,
  ) => Promise<DaemonEvent>
  /** SIGTERM by PID, SIGKILL after 10 s. */
  stop: () => Promise<void>
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
}

export const LOOPBACK_LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws']

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'edgeswarm-node-'))
  const args = [
    CLI,
    'node',
    '--bootstrap',
    opts.bootstrap,
    '--data-dir',
    dataDir,
    ...(opts.args ?? LOOPBACK_LISTEN),
  ]
  const [cmd, ...rest] = [...(opts.wrap ?? []), NODE, ...args]
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const verbose = opts.verbose ?? process.env.EDGESWARM_DEBUG !== undefined
  const events: DaemonEvent[] = []
  let out = ''
  let partial = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    if (verbose) process.stderr.write(d)
    out += d.toString()
    if (out.length > 400_000) out = out.slice(-200_000)
    partial += d.toString()
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.startsWith('{')) continue
      try {
        events.push(JSON.parse(line) as DaemonEvent)
      } catch {
        // not an event line
      }
    }
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let done = false
  void exited.then(() => {
    done = true
  })
  const waitForEvent = (name: string, match: (e: DaemonEvent) => boolean = () => true, timeoutMs = 30_000) =>
    waitFor(
      `event ${name} from the daemon in ${dataDir}`,
      () => {
        const hit = events.find((e) => e.event === name && match(e))
        if (hit !== undefined) return hit
        if (done) throw new Error(`daemon exited: ${out.slice(-1500)}`)
        return undefined
      },
      timeoutMs,
      50,
    )
  const stop = async () => {
    if (!done && child.pid !== undefined) {
      child.kill('SIGTERM')
      const gone = await waitFor('daemon to exit', () => done, 10_000).catch(() => false)
      if (gone === false) child.kill('SIGKILL')
      await exited
    }
    if (opts.dataDir === undefined && opts.keepDataDir !== true)
      rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const started = await waitForEvent('node.started', undefined, opts.startTimeoutMs ?? 30_000)
    return {
      peerId: String(started.peerId),
      dataDir,
      process: child,
      events,
      output: () => out,
      waitForEvent,
      stop,
      exited,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON when it is JSON. */
  json?: unknown
}

/** Runs `edgeswarm <args>` to completion (`--data-dir` added when `dataDir` is given). */
export async function runCli(
  args: string[],
  opts: { dataDir?: string; wrap?: string[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const full = [CLI, ...args, ...(opts.dataDir === undefined ? [] : ['--data-dir', opts.dataDir])]
  const [cmd, ...rest] = [...(opts.wrap ?? []), NODE, ...full]
  const child = spawn(cmd!, rest, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(timer)
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    json = undefined
  }
  return { code, stdout, stderr, ...(json === undefined ? {} : { json }) }
}

/** Runs a CLI command and returns its JSON output, failing with its stderr otherwise. */
export async function cliJson<T = Record<string, unknown>>(
  args: string[],
  opts: Parameters<typeof runCli>[1] = {},
): Promise<T> {
  const res = await runCli([...args, '--json'], opts)
  if (res.code !== 0 || res.json === undefined) {
    throw new Error(
      `edgeswarm ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim()} ${res.stdout.trim().slice(0, 2000)}`,
    )
  }
  return res.json as T
}

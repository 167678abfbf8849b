/**
 * A long-running CLI command (`edgeswarm subscribe ... --json`): its stdout JSON lines collected as
 * they arrive, its stderr kept for diagnosis, stopped by PID with SIGINT (the command's Ctrl-C path).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { CLI, NODE } from './daemon.ts'
import { waitFor } from './wait.ts'

export interface CliStream {
  process: ChildProcess
  lines: unknown[]
  stderr: () => string
  /** Resolves once stderr contains `text`. */
  waitForStderr: (text: string, timeoutMs?: number) => Promise<void>
  stop: () => Promise<number | null>
}

export function startCliStream(args: string[], dataDir: string): CliStream {
  const child = spawn(NODE, [CLI, ...args, '--data-dir', dataDir], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: unknown[] = []
  let partial = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => {
    partial += d.toString()
    const parts = partial.split('\n')
    partial = parts.pop() ?? ''
    for (const p of parts) if (p.trim() !== '') lines.push(JSON.parse(p))
  })
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  let done = false
  void exited.then(() => {
    done = true
  })
  return {
    process: child,
    lines,
    stderr: () => err,
    waitForStderr: async (text, timeoutMs = 30_000) => {
      await waitFor(
        `"${text}" from edgeswarm ${args.join(' ')}`,
        () => {
          if (err.includes(text)) return true
          if (done) throw new Error(`exited: ${err.slice(-1000)}`)
          return undefined
        },
        timeoutMs,
      )
    },
    stop: async () => {
      if (!done) child.kill('SIGINT')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(t)
      return code
    },
  }
}

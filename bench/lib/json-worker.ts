/**
 * A bench worker process: a Node script that reads one JSON command a line on stdin (`{ req, cmd }`)
 * and answers `{ req, reply }` or `{ req, error }` on stdout, where it may also write events (lines with
 * an `event` field). Used by the messaging (bench/messaging-peer.ts) and routing (bench/routing-peer.ts)
 * benchmarks to spread their peers over several processes.
 *
 * The worker exits when our end of its stdin closes (we exited or failed); `close()` asks it to, and
 * every worker still running when this process exits is killed by its PID, so none outlives the bench.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { waitFor } from '../../scripts/lib/wait.ts'

export interface JsonWorker<C> {
  name: string
  pid?: number
  call<T>(cmd: C): Promise<T>
  /** Sends `closeCmd`, ends stdin and waits up to 10 s for the exit, then kills the process. */
  close(): Promise<void>
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void }

const running = new Set<number>()
let exitHookInstalled = false

function killRunningOnExit(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // it exited between its last event and ours: nothing to end
      }
    }
  })
}

export function spawnJsonWorker<C, E extends { event?: unknown }>(
  name: string,
  script: string,
  closeCmd: C,
  onEvent: (e: E) => void = () => {},
): JsonWorker<C> {
  killRunningOnExit()
  const child: ChildProcess = spawn(process.execPath, [script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // a session of its own, as Chromium (Playwright) and workerd (wrangler) get: with the kernel's
    // autogroup scheduling each session is one scheduling entity, so workers left in ours shared one
    // share of the CPU among all their peers (docs/NOTES.md, "Messaging"). It still exits when our end
    // of its stdin closes, and our exit hook kills it by PID.
    detached: true,
  })
  if (child.pid !== undefined) running.add(child.pid)
  const pending = new Map<number, Pending>()
  let req = 0
  let stderr = ''
  let exited = false
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000)
  })
  // a worker's own report lines (`[bench] ...` on its stderr) go to ours
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('[bench] ')) process.stderr.write(`${name}: ${line.slice(8)}\n`)
  })
  child.once('exit', (code) => {
    exited = true
    if (child.pid !== undefined) running.delete(child.pid)
    for (const p of pending.values()) p.reject(new Error(`worker ${name} exited (${code}): ${stderr}`))
    pending.clear()
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: { req?: number; reply?: unknown; error?: string } & E
    try {
      msg = JSON.parse(line)
    } catch (err) {
      // a line cut short: the worker died while writing it (out of memory, killed); every call waiting
      // on it fails with what the worker said last, and this process goes on
      const why = new Error(
        `worker ${name} wrote an unreadable line (${(err as Error).message}; ${line.length} chars): ${stderr.slice(-1_000)}`,
      )
      for (const p of pending.values()) p.reject(why)
      pending.clear()
      return
    }
    if (msg.event !== undefined) return onEvent(msg)
    const p = pending.get(msg.req!)
    pending.delete(msg.req!)
    if (msg.error !== undefined) p?.reject(new Error(`worker ${name}: ${msg.error}`))
    else p?.resolve(msg.reply)
  })
  const call = <T>(cmd: C) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`worker ${name} has exited: ${stderr}`))
      const id = req++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.stdin!.write(`${JSON.stringify({ req: id, cmd })}\n`)
    })
  return {
    name,
    pid: child.pid,
    call,
    close: async () => {
      if (exited) return
      await call(closeCmd).catch(() => undefined)
      child.stdin!.end()
      await waitFor(`worker ${name} to exit`, () => exited, 10_000).catch(() => {
        if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      })
    },
  }
}

/**
 * The worker's end: runs `handle` for each command line and answers it; `isClose(cmd)` ends the process
 * after its answer. Our stdin closing (the coordinator exited or failed) ends the process too.
 */
export function serveJsonCommands<C>(
  handle: (cmd: C) => Promise<unknown>,
  isClose: (cmd: C) => boolean,
): void {
  const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`)
  const lines = createInterface({ input: process.stdin })
  lines.on('close', () => process.exit(0))
  lines.on('line', (line) => {
    const { req, cmd } = JSON.parse(line) as { req: number; cmd: C }
    handle(cmd).then(
      (reply) => {
        say({ req, reply: reply ?? null })
        if (isClose(cmd)) process.exit(0)
      },
      (err: Error) => say({ req, error: err.message }),
    )
  })
}

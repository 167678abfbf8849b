/**
 * The sandboxed executor a worker runs tasks with. The scheduling and protocol code is written once;
 * only how a sandbox thread is spawned differs: `node/src/compute/thread-executor.ts` (worker_threads
 * with `resourceLimits`) and `browser/src/compute/web-worker-executor.ts` (Web Workers) each pass a
 * {@link SpawnThread} to {@link threadPoolExecutor}. A task past its time limit has its thread
 * terminated and replaced; a thread that dies (out of memory, crash) fails only its own task.
 *
 * @example
 * ```ts
 * const exec = threadPoolExecutor(spawnNodeThread, 2)
 * const out = await exec.run(module, input, { timeMs: 10_000, maxOutputBytes: 1 << 20 })
 * ```
 */
import { TaskFailedError } from '../../errors.ts'
import type { WasmModule } from './wasm-api.ts'
import type { TaskReply, TaskRequest } from './wasm-task.ts'

export interface TaskLimits {
  /** Wall-clock limit (ms); the sandbox thread is terminated past it. */
  timeMs: number
  /** Largest output (bytes). */
  maxOutputBytes: number
}

export interface TaskExecutor {
  /** Tasks it runs at once (threads). */
  readonly slots: number
  /** Runs one task; rejects with TaskFailedError (`reason` names the limit or fault). */
  run: (module: WasmModule, input: Uint8Array, limits: TaskLimits) => Promise<Uint8Array>
  close: () => Promise<void>
}

/** One sandbox thread as the pool sees it. */
export interface SandboxThread {
  post: (req: TaskRequest) => void
  terminate: () => void
}

/** Starts a sandbox thread whose replies go to `onReply` and whose death goes to `onExit`. */
export type SpawnThread = (
  onReply: (reply: TaskReply) => void,
  onExit: (why: string) => void,
) => SandboxThread

interface Slot {
  thread: SandboxThread
  /** Claimed by a run() that has not posted yet (acquire and post are split by an await). */
  claimed?: boolean
  busy?: { id: number; resolve: (out: Uint8Array) => void; reject: (err: Error) => void; timer: unknown }
}

export function threadPoolExecutor(spawn: SpawnThread, slots: number): TaskExecutor {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`executor slots must be >= 1, got ${slots}`)
  const pool: Slot[] = []
  const waiting: Array<() => void> = []
  let nextId = 1
  let closed = false

  const settle = (slot: Slot, fn: (b: NonNullable<Slot['busy']>) => void) => {
    const b = slot.busy
    if (b === undefined) return
    clearTimeout(b.timer as ReturnType<typeof setTimeout>)
    slot.busy = undefined
    fn(b)
    waiting.shift()?.()
  }
  // A thread's callbacks count only while it is the slot's current thread: a terminated one is ignored.
  const start = (slot: Slot) => {
    const thread: SandboxThread = spawn(
      (reply) => {
        if (slot.thread !== thread || slot.busy?.id !== reply.id) return
        settle(slot, (b) =>
          reply.ok ? b.resolve(reply.output) : b.reject(new TaskFailedError(reply.reason, reply.message)),
        )
      },
      (why) => {
        if (slot.thread !== thread) return
        if (!closed) start(slot)
        settle(slot, (b) =>
          b.reject(
            new TaskFailedError(why === 'memory' ? 'memory' : 'crashed', `sandbox thread ended: ${why}`),
          ),
        )
      },
    )
    slot.thread = thread
  }
  for (let i = 0; i < slots; i++) {
    const slot = { thread: undefined as unknown as SandboxThread } as Slot
    start(slot)
    pool.push(slot)
  }

  const acquire = async (): Promise<Slot> => {
    for (;;) {
      const free = pool.find((s) => s.busy === undefined && s.claimed !== true)
      if (free !== undefined) {
        free.claimed = true
        return free
      }
      await new Promise<void>((r) => waiting.push(r))
    }
  }

  return {
    slots,
    async run(module, input, limits) {
      if (closed) throw new TaskFailedError('crashed', 'executor is closed')
      const slot = await acquire()
      const id = nextId++
      return new Promise<Uint8Array>((resolve, reject) => {
        const timer = setTimeout(() => {
          const old = slot.thread
          start(slot)
          old.terminate()
          settle(slot, (b) =>
            b.reject(new TaskFailedError('timeout', `task ran past its ${limits.timeMs} ms limit`)),
          )
        }, limits.timeMs)
        slot.busy = { id, resolve, reject, timer }
        slot.claimed = false
        slot.thread.post({ id, module, input, maxOutputBytes: limits.maxOutputBytes })
      })
    },
    async close() {
      closed = true
      for (const s of pool) {
        settle(s, (b) => b.reject(new TaskFailedError('crashed', 'executor closed')))
        s.thread.terminate()
      }
    },
  }
}

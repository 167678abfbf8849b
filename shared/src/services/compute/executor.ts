/**
 * The sandboxed executor a worker runs tasks with. The scheduling and protocol code is written once;
 * only how a sandbox thread is spawned differs: `node/src/compute/thread-executor.ts` (worker_threads
 * with `resourceLimits`) and `browser/src/compute/web-worker-executor.ts` (Web Workers) each pass a
 * {@link SpawnThread} to {@link threadPoolExecutor}.
 *
 * Each thread holds its running task and up to DEFAULT_COMPUTE_THREAD_QUEUE more, posted ahead: the
 * thread starts the next one the moment it answers one, instead of idling until a main thread busy
 * with the network posts it. A task past its time limit has its thread terminated and replaced; a
 * thread that dies (out of memory, crash) fails only its running task. Either way the tasks queued
 * behind it never started: they are posted again to the new thread, their time limits then starting
 * afresh. Only the running task has a timer; a queued task's limit starts when the task before it
 * ended, by the thread's clock (`TaskReply.endedAt`).
 *
 * @example
 * ```ts
 * const exec = threadPoolExecutor(spawnNodeThread, 2)
 * const { output, ms } = await exec.run(module, input, { timeMs: 10_000, maxOutputBytes: 1 << 20 })
 * ```
 */
import { DEFAULT_COMPUTE_THREAD_QUEUE } from '../../defaults.ts'
import { TaskFailedError } from '../../errors.ts'
import type { WasmModule } from './wasm-api.ts'
import type { TaskReply, TaskRequest } from './wasm-task.ts'

export interface TaskLimits {
  /** Run-time limit (ms), from the moment the task starts in its thread; the thread is terminated past it. */
  timeMs: number
  /** Largest output (bytes). */
  maxOutputBytes: number
}

/** A task's output and how long it ran (ms), measured where it ran. */
export interface TaskResult {
  output: Uint8Array
  ms: number
}

export interface TaskExecutor {
  /** Tasks it runs at once (threads). */
  readonly slots: number
  /** Tasks it takes at once: those running and those queued behind them (at least `slots`). */
  readonly capacity: number
  /** Runs one task; rejects with TaskFailedError (`reason` names the limit or fault). */
  run: (module: WasmModule, input: Uint8Array, limits: TaskLimits) => Promise<TaskResult>
  close: () => Promise<void>
}

/** One sandbox thread as the pool sees it. */
export interface SandboxThread {
  /** Posts a task; the buffers in `transfer` move to the thread (postMessage's transfer list). */
  post: (req: TaskRequest, transfer: ArrayBuffer[]) => void
  terminate: () => void
}

/** Starts a sandbox thread whose replies go to `onReply` and whose death goes to `onExit`. */
export type SpawnThread = (
  onReply: (reply: TaskReply) => void,
  onExit: (why: string) => void,
) => SandboxThread

interface Pending {
  req: TaskRequest
  timeMs: number
  /** When it was posted to its current thread (epoch ms). */
  postedAt: number
  resolve: (r: TaskResult) => void
  reject: (err: Error) => void
}

interface Slot {
  thread: SandboxThread
  /** Posted to the thread, in order: the first is running, the rest are queued in the thread. */
  tasks: Pending[]
  /** The running task's time limit. */
  timer?: ReturnType<typeof setTimeout>
}

export function threadPoolExecutor(
  spawn: SpawnThread,
  slots: number,
  queued = DEFAULT_COMPUTE_THREAD_QUEUE,
): TaskExecutor {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`executor slots must be >= 1, got ${slots}`)
  if (!Number.isInteger(queued) || queued < 0)
    throw new RangeError(`executor queue must be >= 0, got ${queued}`)
  const perThread = 1 + queued
  const pool: Slot[] = []
  const waiting: Array<() => void> = []
  let nextId = 1
  let closed = false

  // the head's limit runs from when it started: when posted to an idle thread, else when the task
  // before it ended (thread clock); a late answer from a busy main thread does not extend it
  const arm = (slot: Slot, startedAt: number) => {
    clearTimeout(slot.timer)
    slot.timer = undefined
    const head = slot.tasks[0]
    if (head === undefined) return
    const left = head.timeMs - (Date.now() - Math.max(startedAt, head.postedAt))
    slot.timer = setTimeout(() => replace(slot, timedOut(head)), Math.max(0, left))
  }
  const post = (slot: Slot, p: Pending) => {
    p.postedAt = Date.now()
    slot.tasks.push(p)
    // the input is often a view into a whole batch's body, which a structured clone would copy in full
    // for every task: the thread gets a copy of just its bytes, moved (the pool keeps the original to
    // post again if this thread dies). Not `slice()`: on a Node Buffer (received bytes) that is a view.
    const input = new Uint8Array(p.req.input)
    slot.thread.post({ ...p.req, input }, [input.buffer])
    if (slot.tasks.length === 1) arm(slot, p.postedAt)
  }
  // ends the slot's thread and starts a new one: the running task fails with `err`, the queued ones
  // (never started) go to the new thread
  const replace = (slot: Slot, err: TaskFailedError) => {
    clearTimeout(slot.timer)
    const [head, ...rest] = slot.tasks
    slot.tasks = []
    const old = slot.thread
    if (!closed) start(slot)
    old.terminate()
    head?.reject(err)
    if (closed) for (const p of rest) p.reject(closedError())
    else for (const p of rest) post(slot, p)
    waiting.shift()?.()
  }
  // A thread's callbacks count only while it is the slot's current thread: a terminated one is ignored.
  const start = (slot: Slot) => {
    const thread: SandboxThread = spawn(
      (reply) => {
        if (slot.thread !== thread || slot.tasks[0]?.req.id !== reply.id) return
        const done = slot.tasks.shift()!
        arm(slot, reply.endedAt)
        if (reply.ok) done.resolve({ output: reply.output, ms: Math.max(0, reply.endedAt - reply.startedAt) })
        else done.reject(new TaskFailedError(reply.reason, reply.message))
        waiting.shift()?.()
      },
      (why) => {
        if (slot.thread !== thread) return
        const reason = why === 'memory' ? 'memory' : 'crashed'
        replace(slot, new TaskFailedError(reason, `sandbox thread ended: ${why}`))
      },
    )
    slot.thread = thread
  }
  for (let i = 0; i < slots; i++) {
    const slot: Slot = { thread: undefined as unknown as SandboxThread, tasks: [] }
    start(slot)
    pool.push(slot)
  }

  // the least loaded thread with room: idle threads first, then one task queued behind each running one
  const pick = (): Slot | undefined => {
    let best: Slot | undefined
    for (const s of pool) {
      if (s.tasks.length < perThread && (best === undefined || s.tasks.length < best.tasks.length)) best = s
    }
    return best
  }

  return {
    slots,
    capacity: slots * perThread,
    async run(module, input, limits) {
      for (;;) {
        if (closed) throw closedError()
        const slot = pick()
        if (slot !== undefined) {
          const req = { id: nextId++, module, input, maxOutputBytes: limits.maxOutputBytes }
          return new Promise<TaskResult>((resolve, reject) =>
            post(slot, { req, timeMs: limits.timeMs, postedAt: 0, resolve, reject }),
          )
        }
        await new Promise<void>((r) => waiting.push(r))
      }
    },
    async close() {
      closed = true
      for (const s of pool) {
        clearTimeout(s.timer)
        for (const p of s.tasks.splice(0)) p.reject(closedError())
        s.thread.terminate()
      }
      for (const wake of waiting.splice(0)) wake()
    },
  }
}

const timedOut = (p: Pending) => new TaskFailedError('timeout', `task ran past its ${p.timeMs} ms limit`)
const closedError = () => new TaskFailedError('crashed', 'executor closed')

/**
 * Compute benchmark: our scheduler + protocol over real libp2p connections (in-process peers, TCP
 * loopback) against a single-process run of the same job.
 * 1. CPU-bound: the Mandelbrot example, one worker thread per core, K=1 and K=2 (cost of replication).
 * 2. Scheduler at scale: 64 worker slots (16 peers x 4) whose tasks SLEEP 200 ms (a simulated
 *    executor, labelled as such: the 2 cores here cannot run 64 real CPU tasks), so the numbers
 *    measure dispatch, not compute.
 * 3. Worker death: time from a worker's stream closing to its task running on another worker.
 *
 * @example
 * ```sh
 * node bench/compute.ts
 * ```
 */
import { availableParallelism } from 'node:os'
import { threadExecutor } from '../node/src/compute/thread-executor.ts'
import type { TaskExecutor } from '../shared/src/services/compute/executor.ts'
import { checkModule } from '../shared/src/services/compute/module-check.ts'
import { runWasmTask } from '../shared/src/services/compute/wasm-task.ts'
import { type ComputePeer, computePeer, rangeInputs } from '../test/helpers/compute-peers.ts'
import { mandelbrot } from '../test/helpers/wasm.ts'

/** SIMULATED executor: sleeps `ms` and echoes the input; measures scheduling, not computing. */
function sleepingExecutor(slots: number, ms: number, onStart?: (input: Uint8Array) => void): TaskExecutor {
  let free = slots
  const waiting: Array<() => void> = []
  return {
    slots,
    close: async () => {},
    run: async (_m, input) => {
      while (free === 0) await new Promise<void>((r) => waiting.push(r))
      free--
      try {
        onStart?.(input)
        await new Promise((r) => setTimeout(r, ms))
        return input.slice()
      } finally {
        free++
        waiting.shift()?.()
      }
    },
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const v = await fn()
  return [v, performance.now() - t]
}

async function cpuBound(cores: number) {
  const module = await mandelbrot()
  // rows through the middle of the image: ~10-40 ms each at this iteration limit
  const inputs = rangeInputs(412, 611, 20_000)
  const m = await checkModule(module, { maxMemoryPages: 256 })
  const [, singleMs] = await timed(async () => {
    for (const [id, input] of inputs.entries()) runWasmTask({ id, module: m, input, maxOutputBytes: 1 << 20 })
  })
  const coordinator = await computePeer()
  const workers: ComputePeer[] = []
  for (let i = 0; i < cores; i++) {
    const w = await computePeer()
    await w.compute.startWorker(threadExecutor(1))
    workers.push(w)
  }
  const out: Record<string, unknown> = { tasks: inputs.length, cores, singleProcessMs: Math.round(singleMs) }
  try {
    for (const replicas of [1, 2]) {
      // a different iteration limit per run keeps job IDs distinct (no resume from the previous run)
      const ins = rangeInputs(412, 611, 20_000 + replicas)
      const [, ms] = await timed(async () => {
        const job = await coordinator.compute.run({
          module,
          inputs: ins,
          replicas,
          workers: workers.map((w) => w.addr),
        })
        await job.done
      })
      const speedup = singleMs / ms
      out[`K${replicas}`] = {
        ms: Math.round(ms),
        tasksPerS: Math.round((inputs.length / ms) * 1000 * 10) / 10,
        speedup: Math.round(speedup * 100) / 100,
        efficiencyPerCore: Math.round((speedup / cores) * 100) / 100,
      }
    }
  } finally {
    await Promise.all([coordinator, ...workers].map((p) => p.stop()))
  }
  return out
}

async function waiting(peers: number, slotsEach: number, taskMs: number, tasks: number) {
  const coordinator = await computePeer()
  const workers: ComputePeer[] = []
  for (let i = 0; i < peers; i++) {
    const w = await computePeer()
    await w.compute.startWorker(sleepingExecutor(slotsEach, taskMs))
    workers.push(w)
  }
  const slots = peers * slotsEach
  const out: Record<string, unknown> = { simulated: `tasks sleep ${taskMs} ms`, workerSlots: slots, tasks }
  try {
    for (const replicas of [1, 2]) {
      const inputs = rangeInputs(replicas * 1_000_000, replicas * 1_000_000 + tasks - 1)
      const [job, ms] = await timed(async () => {
        const j = await coordinator.compute.run({
          module: await mandelbrot(),
          inputs,
          replicas,
          workers: workers.map((w) => w.addr),
        })
        await j.done
        return j
      })
      const ideal = Math.ceil((tasks * job.progress().replication) / slots) * taskMs || taskMs
      out[`K${replicas}`] = {
        ms: Math.round(ms),
        tasksPerS: Math.round((tasks / ms) * 1000),
        runsPerTask: Math.round(job.progress().replication * 100) / 100,
        efficiency: Math.round((ideal / ms) * 100) / 100,
        dispatchOverheadMsPerTask: Math.round(((ms - ideal) / tasks) * 100) / 100,
      }
    }
  } finally {
    await Promise.all([coordinator, ...workers].map((p) => p.stop()))
  }
  return out
}

async function reassignment(taskMs: number) {
  const coordinator = await computePeer()
  const started = new Map<string, number>()
  const workers: ComputePeer[] = []
  let victimStarted: string | undefined
  for (let i = 0; i < 3; i++) {
    const w = await computePeer()
    await w.compute.startWorker(
      sleepingExecutor(1, taskMs, (input) => {
        const key = Buffer.from(input).toString('hex')
        if (i === 0 && victimStarted === undefined) victimStarted = key
        if (i !== 0 && !started.has(key)) started.set(key, performance.now())
      }),
    )
    workers.push(w)
  }
  try {
    const job = await coordinator.compute.run({
      module: await mandelbrot(),
      inputs: rangeInputs(5_000_000, 5_000_019),
      replicas: 1,
      workers: workers.map((w) => w.addr),
    })
    while (victimStarted === undefined) await new Promise((r) => setTimeout(r, 5))
    const victimTask = victimStarted
    const killedAt = performance.now()
    await workers[0]!.stop()
    await job.done
    const ranElsewhere = started.get(victimTask)
    const ms = ranElsewhere === undefined ? undefined : Math.round(ranElsewhere - killedAt)
    return {
      simulated: `tasks sleep ${taskMs} ms`,
      deathToRerunMs: ms,
      withinTwiceTaskTime: ms !== undefined && ms <= 2 * taskMs,
    }
  } finally {
    await Promise.all([coordinator, ...workers.slice(1)].map((p) => p.stop()))
  }
}

export async function runComputeBench(): Promise<Record<string, unknown>> {
  const cores = availableParallelism()
  return {
    cpuBound: await cpuBound(cores),
    waiting64: await waiting(16, 4, 200, 1_280),
    workerDeath: await reassignment(200),
  }
}

if (import.meta.main) console.log(JSON.stringify(await runComputeBench(), null, 2))

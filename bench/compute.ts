/**
 * Compute benchmark: our scheduler + protocol over real libp2p connections (in-process peers, TCP
 * loopback) against a single-process run of the same job.
 * 1. CPU-bound: the Mandelbrot example, one worker thread per core, K=1 and K=2 (cost of replication).
 * 2. Scheduler at scale: 64 worker slots (16 peers x 4) whose tasks SLEEP 200 ms (a simulated
 *    executor, labelled as such: the 2 cores here cannot run 64 real CPU tasks), so the numbers
 *    measure dispatch, not compute.
 * 3. Lying workers: the same job with 2 of 16 workers lying, against all honest (cost ratio).
 * 4. Worker death: time from a worker's stream closing to its task running on another worker.
 * 5. Dispatch CPU: CPU time per task of the protocol alone (coordinator and worker ends, tasks that
 *    do nothing), which unlike wall-clock rows does not depend on what else runs on the machine.
 * Timings share 2 cores with everything else on the machine: the load average is printed with them.
 *
 * @example
 * ```sh
 * node bench/compute.ts
 * ```
 */
import { availableParallelism, loadavg } from 'node:os'
import type { TaskExecutor } from '#shared/services/compute/executor.ts'
import { checkModule } from '#shared/services/compute/module-check.ts'
import { runWasmTask } from '#shared/services/compute/wasm-task.ts'
import { threadExecutor } from '../node/src/compute/thread-executor.ts'
import { type ComputePeer, computePeer, rangeInputs } from '../test/helpers/compute-peers.ts'
import { mandelbrot } from '../test/helpers/wasm.ts'
import { machineBusy, machineCpuTimes } from './lib/proc.ts'

/** SIMULATED executor: sleeps `ms` and echoes the input; measures scheduling, not computing. */
function sleepingExecutor(slots: number, ms: number, onStart?: (input: Uint8Array) => void): TaskExecutor {
  let free = slots
  const waiting: Array<() => void> = []
  return {
    slots,
    capacity: slots,
    close: async () => {},
    run: async (_m, input) => {
      while (free === 0) await new Promise<void>((r) => waiting.push(r))
      free--
      try {
        onStart?.(input)
        await new Promise((r) => setTimeout(r, ms))
        return { output: new Uint8Array(input), ms } // a copy (received bytes may be a Buffer: slice() is a view)
      } finally {
        free++
        waiting.shift()?.()
      }
    },
  }
}

interface Timed<T> {
  value: T
  ms: number
  /** CPU of this whole process (every thread). */
  cpuMs: number
  /** CPU of the main thread alone: every peer's network, scheduling and persistence (sandbox threads compute). */
  mainCpuMs: number
  /** Cores other processes kept busy meanwhile (/proc/stat): the share of the machine this run did not get. */
  otherCores: number
}

/** Runs `fn` and measures it (see {@link Timed}). */
async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const t = performance.now()
  const c = process.cpuUsage()
  const m = process.threadCpuUsage()
  const machine = machineCpuTimes()
  const value = await fn()
  const ms = performance.now() - t
  const d = process.cpuUsage(c)
  const dm = process.threadCpuUsage(m)
  const after = machineCpuTimes()
  const cpuMs = (d.user + d.system) / 1000
  const busyMs = machineBusy(machine, after) * after.reduce((n, v, i) => n + v - (machine[i] ?? 0), 0) * 10
  return {
    value,
    ms,
    cpuMs,
    mainCpuMs: (dm.user + dm.system) / 1000,
    otherCores: Math.max(0, (busyMs - cpuMs) / ms),
  }
}

/**
 * Resolves once none of `peers` has had identify traffic for `quietMs` (at most `maxMs`): fresh peers
 * exchange identify, save their own record a second after starting and push it to every connection a
 * second later, all on the main thread the timed rows measure. A swarm that has been up a while does
 * none of that while it runs a job.
 */
async function settled(peers: ComputePeer[], quietMs = 1_500, maxMs = 10_000): Promise<void> {
  const start = performance.now()
  let last = start
  const seen = () => {
    last = performance.now()
  }
  const events = ['peer:identify', 'self:peer:update'] as const
  for (const p of peers) for (const e of events) p.node.addEventListener(e, seen)
  try {
    while (performance.now() - last < quietMs && performance.now() - start < maxMs)
      await new Promise((r) => setTimeout(r, 100))
  } finally {
    for (const p of peers) for (const e of events) p.node.removeEventListener(e, seen)
  }
}

/**
 * CPU-bound: the same 200 Mandelbrot rows (~10-40 ms each) run three ways: in this process, one after
 * the other (the baseline); on a warm pool of sandbox threads with no network (the executor alone);
 * and as a job over `cores` worker peers (one thread each, warmed by a first small job), K=1 and K=2.
 * The baseline and each job row are the best of two runs (both job runs are listed): the machine is
 * shared, so a run that others slowed down measures them, not us.
 * Wall-clock speedup depends on how much of the cores others leave us, so each row also gives
 * `cpuEfficiency`: the baseline's CPU time over the CPU time this whole process (coordinator, worker
 * peers, sandbox threads) spent on the run — load-independent; on free cores the speedup is at most
 * `cores x cpuEfficiency`.
 */
async function cpuBound(cores: number) {
  const module = await mandelbrot()
  // rows through the middle of the image: ~10-40 ms each at this iteration limit
  const inputs = rangeInputs(412, 611, 20_000)
  const m = await checkModule(module, { maxMemoryPages: 256 })
  const single = () =>
    timed(async () => {
      for (const [id, input] of inputs.entries())
        runWasmTask({ id, module: m, input, maxOutputBytes: 1 << 20 })
    })
  const singles = [await single(), await single()]
  const singleMs = Math.min(...singles.map((r) => r.ms))
  const singleCpuMs = Math.min(...singles.map((r) => r.cpuMs))
  const pool = threadExecutor(cores)
  const limits = { timeMs: 60_000, maxOutputBytes: 1 << 20 }
  await Promise.all(Array.from({ length: cores }, () => pool.run(m, inputs[0]!, limits))) // threads warm
  const poolRun = await timed(() => Promise.all(inputs.map((i) => pool.run(m, i, limits))))
  await pool.close()
  const coordinator = await computePeer()
  const workers: ComputePeer[] = []
  for (let i = 0; i < cores; i++) {
    const w = await computePeer()
    await w.compute.startWorker(threadExecutor(1))
    workers.push(w)
  }
  const ratio = ({ ms, cpuMs, mainCpuMs, otherCores }: Timed<unknown>) => ({
    ms: Math.round(ms),
    tasksPerS: Math.round((inputs.length / ms) * 1000 * 10) / 10,
    speedup: Math.round((singleMs / ms) * 100) / 100,
    efficiencyPerCore: Math.round((singleMs / ms / cores) * 100) / 100,
    cpuMs: Math.round(cpuMs),
    cpuEfficiency: Math.round((singleCpuMs / cpuMs) * 100) / 100,
    mainThreadCpuMsPerTask: Math.round((mainCpuMs / inputs.length) * 1000) / 1000,
    otherCores: Math.round(otherCores * 100) / 100,
  })
  const out: Record<string, unknown> = {
    tasks: inputs.length,
    cores,
    singleProcessMs: Math.round(singleMs),
    singleProcessCpuMs: Math.round(singleCpuMs),
    singleProcessOtherCores: singles.map((r) => Math.round(r.otherCores * 100) / 100),
    threadPoolNoNetwork: ratio(poolRun),
  }
  try {
    await Promise.all(workers.map((w) => coordinator.node.dial(w.node.getMultiaddrs()[0]!)))
    // warm, like the pool above and like a worker node that has been up a while: sandbox threads
    // started and the module compiled (a first small job)
    const warm = await coordinator.compute.run({
      module,
      inputs: rangeInputs(0, 2 * cores - 1),
      replicas: 1,
      workers: workers.map((w) => w.addr),
    })
    await warm.done
    await settled([coordinator, ...workers])
    for (const replicas of [1, 2]) {
      // best of two, like the baseline: a run that others slowed down on a shared machine is not the
      // measure of the system (both runs are shown)
      const runs: Array<Timed<Awaited<ReturnType<typeof coordinator.compute.run>>>> = []
      for (let r = 0; r < 2; r++) {
        // a different iteration limit per run keeps job IDs distinct (no resume from an earlier run)
        const ins = rangeInputs(412, 611, 20_000 + replicas * 10 + r)
        runs.push(
          await timed(async () => {
            const j = await coordinator.compute.run({
              module,
              inputs: ins,
              replicas,
              workers: workers.map((w) => w.addr),
            })
            await j.done
            return j
          }),
        )
        await settled([coordinator, ...workers])
      }
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a))
      out[`K${replicas}`] = {
        ...ratio(best),
        runsPerTask: Math.round(best.value.progress().replication * 100) / 100,
        runs: runs.map((r) => ({
          ms: Math.round(r.ms),
          efficiencyPerCore: ratio(r).efficiencyPerCore,
          otherCores: ratio(r).otherCores,
        })),
      }
    }
  } finally {
    await Promise.all([coordinator, ...workers].map((p) => p.stop()))
  }
  return out
}

/** SIMULATED lying executor: like {@link sleepingExecutor}, but every `every`-th answer is wrong. */
function lyingSleeper(slots: number, ms: number, every: number): TaskExecutor {
  const inner = sleepingExecutor(slots, ms)
  let n = 0
  return {
    ...inner,
    run: async (m, input, limits) => {
      const r = await inner.run(m, input, limits)
      if (++n % every === 0) r.output[0] = (r.output[0]! + 1) % 256
      return r
    },
  }
}

/** One timed job; `ideal` is the makespan of its task runs spread perfectly over the slots. */
async function timedJob(
  coordinator: ComputePeer,
  workers: ComputePeer[],
  opts: { inputs: Uint8Array[]; replicas: number; slots: number; taskMs: number },
) {
  const module = await mandelbrot()
  const t0 = performance.now()
  let firstMs: number | undefined
  const job = await coordinator.compute.run({
    module,
    inputs: opts.inputs,
    replicas: opts.replicas,
    workers: workers.map((w) => w.addr),
  })
  const watch = setInterval(() => {
    if (firstMs === undefined && job.progress().done > 0) firstMs = performance.now() - t0
  }, 10)
  try {
    await job.done
  } finally {
    clearInterval(watch)
  }
  const ms = performance.now() - t0
  const p = job.progress()
  const ideal = Math.ceil((opts.inputs.length * p.replication) / opts.slots) * opts.taskMs || opts.taskMs
  return {
    ms: Math.round(ms),
    tasksPerS: Math.round((opts.inputs.length / ms) * 1000),
    runsPerTask: Math.round(p.replication * 100) / 100,
    efficiency: Math.round((ideal / ms) * 100) / 100,
    dispatchOverheadMsPerTask: Math.round(((ms - ideal) / opts.inputs.length) * 100) / 100,
    firstResultMs: firstMs === undefined ? undefined : Math.round(firstMs),
    bans: p.bans,
  }
}

/**
 * 64 waiting slots. `K1cold` is the first job: it includes dialling the 16 workers (noise + yamux +
 * identify), whose both ends run on this one Node thread here (on separate machines each worker
 * would do its own half). The other rows run on the connections the overlay keeps, as a coordinator
 * in a connected swarm does: they measure the scheduler and the protocol.
 */
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
  const inputs = (k: number) => rangeInputs(k * 1_000_000, k * 1_000_000 + tasks - 1)
  try {
    out.K1cold = await timedJob(coordinator, workers, { inputs: inputs(1), replicas: 1, slots, taskMs })
    out.K1 = await timedJob(coordinator, workers, { inputs: inputs(2), replicas: 1, slots, taskMs })
    out.K2 = await timedJob(coordinator, workers, { inputs: inputs(3), replicas: 2, slots, taskMs })
  } finally {
    await Promise.all([coordinator, ...workers].map((p) => p.stop()))
  }
  return out
}

/**
 * Cost of lying workers: the same K=2 job with 2 of 16 workers wrong on every 4th answer, against
 * all honest (the liars are caught and banned; their agreed results re-checked). Connections warm.
 */
async function liars(peers: number, slotsEach: number, taskMs: number, tasks: number) {
  const slots = peers * slotsEach
  const row = async (lying: number, k: number) => {
    const coordinator = await computePeer()
    const workers: ComputePeer[] = []
    for (let i = 0; i < peers; i++) {
      const w = await computePeer()
      const exec = i < lying ? lyingSleeper(slotsEach, taskMs, 4) : sleepingExecutor(slotsEach, taskMs)
      await w.compute.startWorker(exec)
      workers.push(w)
    }
    try {
      await Promise.all(workers.map((w) => coordinator.node.dial(w.node.getMultiaddrs()[0]!)))
      const ins = rangeInputs(k * 1_000_000, k * 1_000_000 + tasks - 1)
      return await timedJob(coordinator, workers, { inputs: ins, replicas: 2, slots, taskMs })
    } finally {
      await Promise.all([coordinator, ...workers].map((p) => p.stop()))
    }
  }
  const honest = await row(0, 6)
  const lying = await row(2, 7)
  return {
    simulated: `tasks sleep ${taskMs} ms, 2 of ${peers} workers wrong on every 4th answer`,
    honest,
    lying,
    costVsHonest: Math.round((lying.ms / honest.ms) * 100) / 100,
  }
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

/**
 * CPU per task of dispatch alone: 2 worker peers whose SIMULATED tasks return at once, `tasks` tasks,
 * K=1 then K=2 on warm connections. Both ends run in this process, so the figure is coordinator +
 * worker CPU per task (ms): framing, encryption, scheduling, verification, persistence.
 */
async function dispatchCpu(tasks: number) {
  const coordinator = await computePeer()
  const workers: ComputePeer[] = []
  for (let i = 0; i < 2; i++) {
    const w = await computePeer()
    await w.compute.startWorker(sleepingExecutor(1, 0))
    workers.push(w)
  }
  const out: Record<string, unknown> = { simulated: 'tasks return at once', tasks }
  try {
    await Promise.all(workers.map((w) => coordinator.node.dial(w.node.getMultiaddrs()[0]!)))
    for (const [name, k, replicas] of [
      ['warmup', 7, 1],
      ['K1', 8, 1],
      ['K2', 9, 2],
    ] as const) {
      const {
        value: job,
        ms,
        cpuMs,
      } = await timed(async () => {
        const j = await coordinator.compute.run({
          module: await mandelbrot(),
          inputs: rangeInputs(k * 1_000_000, k * 1_000_000 + tasks - 1),
          replicas,
          workers: workers.map((w) => w.addr),
        })
        await j.done
        return j
      })
      if (name === 'warmup') {
        await settled([coordinator, ...workers])
        continue
      }
      out[name] = {
        ms: Math.round(ms),
        cpuMsPerTask: Math.round((cpuMs / tasks) * 1000) / 1000,
        runsPerTask: Math.round(job.progress().replication * 100) / 100,
      }
    }
  } finally {
    await Promise.all([coordinator, ...workers].map((p) => p.stop()))
  }
  return out
}

/** Runs one section with the 1-minute load average before and after it (the cores are shared). */
async function section(fn: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const before = loadavg()[0]!.toFixed(2)
  const out = await fn()
  return { ...out, loadAvg1m: `${before} -> ${loadavg()[0]!.toFixed(2)}` }
}

export async function runComputeBench(): Promise<Record<string, unknown>> {
  const cores = availableParallelism()
  const sections: Record<string, () => Promise<Record<string, unknown>>> = {
    cpuBound: () => cpuBound(cores),
    waiting64: () => waiting(16, 4, 200, 1_280),
    liars: () => liars(16, 4, 200, 1_280),
    workerDeath: () => reassignment(200),
    dispatchCpu: () => dispatchCpu(4_000),
  }
  // COMPUTE_BENCH_SECTIONS=cpuBound,workerDeath runs only those (a short run on a shared machine)
  const only = process.env.COMPUTE_BENCH_SECTIONS?.split(',').filter((s) => s !== '')
  const out: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(sections)) {
    if (only === undefined || only.includes(name)) out[name] = await section(fn)
  }
  return out
}

if (import.meta.main) console.log(JSON.stringify(await runComputeBench(), null, 2))

/**
 * The compute service (issue 11): split a job (a WebAssembly module + a list of inputs) into tasks
 * and farm them out to peers that contribute CPU, verified by replication. Written once for the home
 * node and the tab; the runtime only injects the sandboxed executor when it opts in as a worker.
 *
 * @example
 * ```ts
 * const compute = ctx.service<Compute>('compute')!
 * await compute.startWorker(threadExecutor(2))          // this peer contributes 2 CPUs
 * const job = await compute.run({ module, inputs })     // elsewhere: a coordinator
 * const results = await job.done                        // Uint8Array[] in input order
 * ```
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_TASK_INPUT_BYTES } from '../../constants.ts'
import {
  DEFAULT_COMPUTE_MAX_MEMORY_PAGES,
  DEFAULT_COMPUTE_MAX_REPLICAS,
  DEFAULT_COMPUTE_REPLICAS,
  DEFAULT_COMPUTE_TIME_LIMIT_MS,
} from '../../defaults.ts'
import { InvalidInputError, InvalidMultiaddrError, toError } from '../../errors.ts'
import type { PeerService, ServiceContext } from '../../peer/service.ts'
import type { FileStore } from '../files/types.ts'
import { rawCid, sha256Hex } from './content-id.ts'
import { type JobProgress, JobRun } from './coordinator.ts'
import type { TaskExecutor } from './executor.ts'
import { type JobRecord, JobStore } from './job-store.ts'
import { checkModule } from './module-check.ts'
import type { WorkerStats } from './scheduler.ts'
import { ComputeWorker, type WorkerInfo } from './worker.ts'

export type { JobProgress, TaskExecutor, WorkerInfo, WorkerStats }

export interface JobSpec {
  module: Uint8Array
  inputs: Uint8Array[]
  /** K agreeing results per task. @default DEFAULT_COMPUTE_REPLICAS (2) */
  replicas?: number
  /** Time limit of one task (ms). @default DEFAULT_COMPUTE_TIME_LIMIT_MS (10 s) */
  timeMs?: number
  /** Worker multiaddrs (with /p2p/) to use besides the ones discovery finds. */
  workers?: string[]
  /**
   * How long to look for a worker before failing with NoWorkersError (ms); three times as long once
   * the job had one. @default DEFAULT_COMPUTE_WORKER_WAIT_MS (10 s)
   */
  workerWaitMs?: number
  /**
   * How long open tasks may wait for a worker allowed to take them (e.g. a third one to settle a
   * disagreement) before the job fails as `unresolved` (ms). @default DEFAULT_COMPUTE_BLOCKED_WAIT_MS (30 s)
   */
  blockedWaitMs?: number
}

export interface JobHandle {
  id: string
  progress: () => JobProgress
  workers: () => WorkerStats[]
  /** The results in input order; rejects with TaskFailedError or NoWorkersError. */
  done: Promise<Uint8Array[]>
}

export interface Compute {
  /** Validates the module, persists the job (or resumes the same job) and starts it. */
  run: (spec: JobSpec) => Promise<JobHandle>
  /** Running jobs and the ones persisted earlier. */
  jobs: () => Promise<JobProgress[]>
  /** Workers of the running jobs, with their standing. */
  workers: () => Array<WorkerStats & { job: string }>
  /** Starts contributing CPU with a sandboxed executor (node: worker threads, page: Web Workers). */
  startWorker: (executor: TaskExecutor) => Promise<void>
  stopWorker: () => Promise<void>
  workerInfo: () => WorkerInfo
  /** Malformed frames dropped, as coordinator and as worker. */
  malformed: () => number
}

async function jobId(moduleCid: string, inputs: Uint8Array[], replicas: number): Promise<string> {
  const parts = inputs.map(
    (i) => `${i.length}:${Array.from(i, (b) => b.toString(16).padStart(2, '0')).join('')}`,
  )
  return sha256Hex(new TextEncoder().encode(`${moduleCid}\n${replicas}\n${parts.join(',')}`))
}

function summary(rec: JobRecord, done: number): JobProgress {
  return {
    id: rec.id,
    state: rec.state,
    tasks: rec.tasks,
    done,
    failed: 0,
    workers: 0,
    busy: 0,
    rate: 0,
    etaS: undefined,
    replication: 0,
    bans: 0,
    rechecked: 0,
    expired: 0,
    blocked: 0,
    elapsedMs: (rec.finishedAt ?? Date.now()) - rec.createdAt,
    ...(rec.error === undefined ? {} : { error: { name: 'TaskFailedError', message: rec.error } }),
  }
}

export function computeService(): PeerService<Compute> {
  let ctx: ServiceContext
  let store: JobStore
  let worker: ComputeWorker
  const active = new Map<string, JobRun>()
  const counters = { tasks: 0, failed: 0, malformed: 0, coordinators: 0 }
  let coordinatorMalformed = 0

  const launch = async (
    rec: JobRecord,
    module: Uint8Array,
    inputs: Uint8Array[],
    opts: Pick<JobSpec, 'workers' | 'workerWaitMs' | 'blockedWaitMs'> = {},
  ) => {
    const restored = await store.results(rec.id)
    const run = new JobRun({
      ctx,
      store,
      record: rec,
      module,
      inputs,
      restored,
      ...opts,
      malformed: () => coordinatorMalformed++,
    })
    active.set(rec.id, run)
    const forget = () => {
      if (active.get(rec.id) === run) active.delete(rec.id)
    }
    run.done.then(forget, forget)
    ctx.events('compute.job', {
      job: rec.id,
      tasks: rec.tasks,
      replicas: rec.replicas,
      resumed: restored.length,
    })
    run.start()
    return run
  }

  const handle = (run: JobRun): JobHandle => ({
    id: run.id,
    progress: () => run.progress(),
    workers: () => run.workers(),
    done: run.done,
  })

  const api: Compute = {
    async run(spec) {
      const replicas = spec.replicas ?? DEFAULT_COMPUTE_REPLICAS
      if (!Number.isInteger(replicas) || replicas < 1 || replicas > DEFAULT_COMPUTE_MAX_REPLICAS) {
        throw new InvalidInputError(
          `replicas must be an integer in [1, ${DEFAULT_COMPUTE_MAX_REPLICAS}], got ${replicas}`,
        )
      }
      const timeMs = spec.timeMs ?? DEFAULT_COMPUTE_TIME_LIMIT_MS
      if (!Number.isInteger(timeMs) || timeMs < 1)
        throw new InvalidInputError(`timeMs must be >= 1, got ${timeMs}`)
      for (const k of ['workerWaitMs', 'blockedWaitMs'] as const) {
        const v = spec[k]
        if (v !== undefined && (!Number.isInteger(v) || v < 0))
          throw new InvalidInputError(`${k} must be an integer >= 0, got ${v}`)
      }
      for (const a of spec.workers ?? []) checkWorkerAddr(a)
      if (spec.inputs.length === 0) throw new InvalidInputError('a job needs at least one input')
      const big = spec.inputs.findIndex((i) => i.length > MAX_TASK_INPUT_BYTES)
      if (big >= 0) throw new InvalidInputError(`input ${big} is larger than ${MAX_TASK_INPUT_BYTES} bytes`)
      await checkModule(spec.module, { maxMemoryPages: DEFAULT_COMPUTE_MAX_MEMORY_PAGES })
      const module = await rawCid(spec.module)
      const id = await jobId(module, spec.inputs, replicas)
      const running = active.get(id)
      if (running !== undefined) return handle(running)
      const prev = await store.get(id)
      let rec: JobRecord
      if (prev !== undefined) {
        rec = { ...prev, state: 'running', timeMs }
        delete rec.error
        delete rec.finishedAt
        await store.update(rec)
      } else {
        rec = {
          id,
          module,
          tasks: spec.inputs.length,
          replicas,
          timeMs,
          state: 'running',
          createdAt: Date.now(),
        }
        const files = ctx.service<FileStore>('files')
        if (files !== undefined) {
          try {
            rec.moduleFile = await files.addBytes(spec.module, { name: 'module.wasm' })
          } catch (err) {
            ctx.events('compute.share-failed', { error: toError(err).message }, 'warn')
          }
        }
        await store.create(rec, spec.module, spec.inputs)
      }
      const { workers, workerWaitMs, blockedWaitMs } = spec
      const opts = Object.fromEntries(
        Object.entries({ workers, workerWaitMs, blockedWaitMs }).filter(([, v]) => v !== undefined),
      )
      return handle(await launch(rec, spec.module, spec.inputs, opts))
    },
    async jobs() {
      const out: JobProgress[] = [...active.values()].map((r) => r.progress())
      for (const rec of await store.jobs()) {
        if (active.has(rec.id)) continue
        out.push(summary(rec, rec.state === 'done' ? rec.tasks : (await store.results(rec.id)).length))
      }
      return out
    },
    workers: () => [...active.values()].flatMap((r) => r.workers().map((w) => ({ ...w, job: r.id }))),
    startWorker: (executor) => worker.start(executor),
    stopWorker: () => worker.stop(),
    workerInfo: () => worker.info(),
    malformed: () => coordinatorMalformed + counters.malformed,
  }

  return {
    name: 'compute',
    async start(c) {
      ctx = c
      store = new JobStore(c.storage.kv('compute'))
      worker = new ComputeWorker(c, counters)
      // resume jobs a previous run of this peer left unfinished (verified results are kept)
      for (const rec of await store.jobs()) {
        if (rec.state !== 'running') continue
        const payload = await store.payload(rec.id)
        if (payload !== undefined) await launch(rec, payload.module, payload.inputs)
      }
      return api
    },
    async stop() {
      for (const run of active.values()) run.halt()
      active.clear()
      await worker?.stop()
    },
  }
}

/**
 * A worker address the job was given: a multiaddr whose last component names the worker
 * (`.../p2p/<peer id>`), with no /p2p/ directly after another (a doubled suffix no transport dials;
 * libp2p lists its own addresses with the suffix already). Throws InvalidMultiaddrError saying which.
 */
export function checkWorkerAddr(addr: string): void {
  let names: Array<{ name: string; value?: string }>
  try {
    names = multiaddr(addr).getComponents()
  } catch (err) {
    throw new InvalidMultiaddrError(
      `worker address ${JSON.stringify(addr)} is not a multiaddr: ${toError(err).message}`,
    )
  }
  const last = names.at(-1)
  const doubled = names.some((c, i) => c.name === 'p2p' && names[i - 1]?.name === 'p2p')
  if (last?.name !== 'p2p' || last.value === undefined || doubled) {
    throw new InvalidMultiaddrError(
      `worker address ${JSON.stringify(addr)} must end with one /p2p/<peer id>, e.g. /ip4/192.0.2.1/tcp/4001/p2p/12D3KooW...`,
    )
  }
  try {
    peerIdFromString(last.value)
  } catch {
    throw new InvalidMultiaddrError(`worker address ${JSON.stringify(addr)} names no valid peer ID`)
  }
}

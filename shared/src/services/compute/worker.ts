/**
 * Worker side of `/edgeswarm/compute/2.0.0`: registered only while this peer contributes CPU
 * (`edgeswarm node --worker`, the page's "contribute CPU" switch). Per coordinator stream: receive
 * the job, fetch its module (file-sharing service, else from the coordinator), check it against the
 * sandbox caps, answer `ready`, then run each task of each `tasks` batch on the injected executor and
 * answer the batch's results (or failure reasons) together in one `results` frame. Announces itself
 * through routing so coordinators can find it.
 */
import type { Stream } from '@libp2p/interface'
import { COMPUTE_PROTOCOL, MAX_COMPUTE_MODULE_BYTES, MAX_TASK_OUTPUT_BYTES } from '../../constants.ts'
import {
  DEFAULT_COMPUTE_BATCH_MS,
  DEFAULT_COMPUTE_MAX_MALFORMED,
  DEFAULT_COMPUTE_MAX_MEMORY_PAGES,
  DEFAULT_COMPUTE_TIME_LIMIT_MS,
} from '../../defaults.ts'
import { toError } from '../../errors.ts'
import type { ServiceContext } from '../../peer/service.ts'
import type { FileStore } from '../files/types.ts'
import type { Routing } from '../routing/types.ts'
import { packBatches, splitBatch } from './batch.ts'
import { rawCid, workersCid } from './content-id.ts'
import type { TaskExecutor } from './executor.ts'
import {
  encodeFrame,
  type Frame,
  type ResultEntry,
  readFrames,
  sendFrame,
  type TaskEntry,
  type ToWorker,
  toWorkerHeader,
} from './frames.ts'
import { checkModule } from './module-check.ts'
import type { WasmModule } from './wasm-api.ts'

/** Compiled modules a worker keeps (the example module compiles to well under 1 MiB). */
const MODULE_CACHE_ENTRIES = 8

export interface WorkerCounters {
  tasks: number
  failed: number
  malformed: number
  coordinators: number
}

export interface WorkerInfo extends WorkerCounters {
  enabled: boolean
  slots: number
  running: number
}

export class ComputeWorker {
  readonly #ctx: ServiceContext
  readonly #counters: WorkerCounters
  #executor: TaskExecutor | undefined
  #running = 0
  readonly #streams = new Set<Stream>()
  /**
   * Compiled modules by CID and memory cap, so a coordinator's next stream (reconnect, next job, K
   * replicas of its tasks) starts without fetching and compiling again. Bounded: a few modules.
   */
  readonly #modules = new Map<string, Promise<WasmModule>>()
  /**
   * Tasks received and not handed to the executor, across coordinators: it takes `capacity` at once
   * (one running per thread and one queued behind it), the rest wait here, where a reassigned task
   * (`first`) can go ahead of the queue and a closed stream's tasks are dropped before they waste a
   * slot.
   */
  #queue: Array<{ stream: Stream; start: () => Promise<void> }> = []

  constructor(ctx: ServiceContext, counters: WorkerCounters) {
    this.#ctx = ctx
    this.#counters = counters
  }

  info(): WorkerInfo {
    return {
      enabled: this.#executor !== undefined,
      slots: this.#executor?.slots ?? 0,
      running: this.#running,
      ...this.#counters,
    }
  }

  async start(executor: TaskExecutor): Promise<void> {
    if (this.#executor !== undefined) await this.stop()
    this.#executor = executor
    await this.#ctx.node.handle(COMPUTE_PROTOCOL, (stream) => this.#session(stream), {
      runOnLimitedConnection: true,
      maxInboundStreams: 64,
    })
    const routing = this.#ctx.service<Routing>('routing')
    if (routing !== undefined) {
      routing.provide(await workersCid()).catch((err: unknown) => {
        this.#ctx.events('compute.announce-failed', { error: toError(err).message }, 'warn')
      })
    }
    this.#ctx.events('compute.worker', { slots: executor.slots, enabled: true })
  }

  async stop(): Promise<void> {
    const exec = this.#executor
    if (exec === undefined) return
    this.#executor = undefined
    await this.#ctx.node.unhandle(COMPUTE_PROTOCOL)
    const routing = this.#ctx.service<Routing>('routing')
    if (routing !== undefined) await routing.unprovide(await workersCid()).catch(() => undefined)
    for (const s of this.#streams) s.abort(new Error('worker stopped'))
    this.#modules.clear()
    this.#queue = []
    await exec.close()
    this.#ctx.events('compute.worker', { enabled: false })
  }

  async #session(stream: Stream): Promise<void> {
    const exec = this.#executor
    if (exec === undefined) return void stream.abort(new Error('not a worker'))
    this.#streams.add(stream)
    this.#counters.coordinators++
    let malformed = 0
    let job: Extract<ToWorker, { t: 'job' }> | undefined
    let module: Promise<WasmModule> | undefined
    const blobs = new Map<string, (b: Uint8Array) => void>()
    const failed = (err: unknown) =>
      this.#ctx.events('compute.send-failed', { error: toError(err).message }, 'debug')
    // encodeFrame throws on a frame over the limit (an executor that ignored maxOutputBytes): logged
    // like a failed send, never a rejection that takes the worker down
    const send = (h: Parameters<typeof encodeFrame>[0], body?: Uint8Array) =>
      Promise.resolve()
        .then(() => sendFrame(stream, encodeFrame(h, body)))
        .catch(failed)

    const onFrame = ({ header, body }: Frame<ToWorker>) => {
      switch (header.t) {
        case 'job':
          if (job !== undefined) return
          job = header
          module = this.#cachedModule(header, (cid) => {
            void send({ t: 'get', cid })
            return new Promise((resolve) => blobs.set(cid, resolve))
          })
          module.then(
            () => send({ t: 'ready', slots: exec.slots }),
            (err: unknown) => {
              const e = toError(err)
              void send({
                t: 'refuse',
                reason: e.name === 'ModuleRejectedError' ? e.message : 'module unavailable',
              })
              this.#ctx.events('compute.refused', { job: header.job, reason: e.message }, 'warn')
            },
          )
          return
        case 'blob':
          blobs.get(header.cid)?.(body)
          blobs.delete(header.cid)
          return
        case 'tasks': {
          if (job === undefined || module === undefined) return
          const [j, m] = [job, module]
          const answers = this.#batchAnswers(header.tasks.length, send)
          const inputs = splitBatch(header.tasks, body)
          header.tasks.forEach((t, i) => {
            const run = () => this.#runTask(exec, j, m, t, inputs[i]!).then(answers)
            this.#enqueue(stream, t.first === true, run)
          })
          return
        }
      }
    }
    await readFrames(stream, toWorkerHeader, onFrame, (why) => {
      this.#counters.malformed++
      this.#ctx.events('compute.malformed', { peer: stream.id, why }, 'debug')
      if (++malformed > DEFAULT_COMPUTE_MAX_MALFORMED) stream.abort(new Error('too many malformed frames'))
    })
    this.#streams.delete(stream)
    this.#counters.coordinators--
  }

  #cachedModule(
    job: Extract<ToWorker, { t: 'job' }>,
    fromCoordinator: (cid: string) => Promise<Uint8Array>,
  ): Promise<WasmModule> {
    const key = `${job.module}/${Math.min(job.maxMemoryPages, DEFAULT_COMPUTE_MAX_MEMORY_PAGES)}`
    const hit = this.#modules.get(key)
    if (hit !== undefined) return hit
    const loading = this.#loadModule(job, fromCoordinator)
    this.#modules.set(key, loading)
    if (this.#modules.size > MODULE_CACHE_ENTRIES) this.#modules.delete(this.#modules.keys().next().value!)
    loading.catch(() => this.#modules.delete(key)) // a failed fetch or a rejected module is not kept
    return loading
  }

  async #loadModule(
    job: Extract<ToWorker, { t: 'job' }>,
    fromCoordinator: (cid: string) => Promise<Uint8Array>,
  ): Promise<WasmModule> {
    let bytes: Uint8Array | undefined
    const files = this.#ctx.service<FileStore>('files')
    if (files !== undefined && job.moduleFile !== undefined) {
      bytes = await files
        .getBytes(job.moduleFile, { maxBytes: MAX_COMPUTE_MODULE_BYTES, signal: AbortSignal.timeout(15_000) })
        .catch(() => undefined)
    }
    if (bytes === undefined || (await rawCid(bytes)) !== job.module) bytes = await fromCoordinator(job.module)
    if ((await rawCid(bytes)) !== job.module) throw new Error('module bytes do not match their CID')
    return checkModule(bytes, {
      maxMemoryPages: Math.min(job.maxMemoryPages, DEFAULT_COMPUTE_MAX_MEMORY_PAGES),
    })
  }

  #enqueue(stream: Stream, first: boolean, start: () => Promise<void>): void {
    if (first) this.#queue.unshift({ stream, start })
    else this.#queue.push({ stream, start })
    this.#drain()
  }

  #drain(): void {
    const capacity = this.#executor?.capacity ?? 0
    while (this.#running < capacity && this.#queue.length > 0) {
      const next = this.#queue.shift()!
      if (next.stream.status !== 'open') continue // its coordinator is gone: nobody wants the result
      this.#running++
      void next.start().finally(() => {
        this.#running--
        this.#drain()
      })
    }
  }

  /**
   * Collects the answers of one `tasks` batch and sends them in one `results` frame when the last is
   * in; answers already in go out after DEFAULT_COMPUTE_BATCH_MS at most (a slow task in the batch
   * does not hold back its fast neighbours).
   */
  #batchAnswers(
    size: number,
    send: (h: Parameters<typeof encodeFrame>[0], body?: Uint8Array) => Promise<unknown>,
  ): (a: { entry: ResultEntry; body?: Uint8Array }) => void {
    let pending: Array<{ entry: ResultEntry; body?: Uint8Array }> = []
    let left = size
    let timer: ReturnType<typeof setTimeout> | undefined
    const flush = () => {
      clearTimeout(timer)
      timer = undefined
      for (const b of packBatches(pending)) void send({ t: 'results', results: b.entries }, b.body)
      pending = []
    }
    return (answer) => {
      pending.push(answer)
      if (--left === 0) flush()
      else timer ??= setTimeout(flush, DEFAULT_COMPUTE_BATCH_MS)
    }
  }

  async #runTask(
    exec: TaskExecutor,
    job: Extract<ToWorker, { t: 'job' }>,
    module: Promise<WasmModule>,
    task: TaskEntry,
    input: Uint8Array,
  ): Promise<{ entry: ResultEntry; body?: Uint8Array }> {
    const started = Date.now()
    try {
      const { output, ms } = await exec.run(await module, input, {
        timeMs: Math.min(job.timeMs, DEFAULT_COMPUTE_TIME_LIMIT_MS * 6),
        maxOutputBytes: Math.min(job.maxOutputBytes, MAX_TASK_OUTPUT_BYTES),
      })
      this.#counters.tasks++
      return { entry: { id: task.id, len: output.length, ms }, body: output }
    } catch (err) {
      this.#counters.failed++
      // the executor reports run time only with an output: a failure's time counts from when the
      // task was handed over (a wait behind the thread's running task included)
      const e = err as { reason?: string }
      return { entry: { id: task.id, error: e.reason ?? 'crashed', ms: Date.now() - started } }
    }
  }
}

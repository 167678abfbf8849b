/**
 * Coordinator side of one job: finds workers (routing's well-known workers CID, peers already
 * connected that speak `/edgeswarm/compute/1.0.0`, and addresses given explicitly), keeps one stream
 * per worker (direct or relayed), feeds the {@link Scheduler} their answers, persists every verified
 * result (JobStore) and resolves with the results in input order.
 */
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { COMPUTE_PROTOCOL, MAX_COMPUTE_BATCH_TASKS } from '../../constants.ts'
import {
  DEFAULT_COMPUTE_BATCH_MS,
  DEFAULT_COMPUTE_BLOCKED_WAIT_MS,
  DEFAULT_COMPUTE_DISCOVERY_MS,
  DEFAULT_COMPUTE_LEASE_FACTOR,
  DEFAULT_COMPUTE_MAX_MALFORMED,
  DEFAULT_COMPUTE_MAX_REPLICAS,
  DEFAULT_COMPUTE_MIN_LEASE_MS,
  DEFAULT_COMPUTE_PIPELINE,
  DEFAULT_COMPUTE_SPOT_CHECK,
  DEFAULT_COMPUTE_TRUST_STREAK,
  DEFAULT_COMPUTE_WORKER_WAIT_MS,
} from '../../defaults.ts'
import { NoWorkersError, TaskFailedError, toError } from '../../errors.ts'
import type { ServiceContext } from '../../peer/service.ts'
import type { Routing } from '../routing/types.ts'
import { packBatches, splitBatch } from './batch.ts'
import { sha256Hex, workersCid } from './content-id.ts'
import {
  encodeFrame,
  type ResultEntry,
  readFrames,
  sendFrame,
  type TaskEntry,
  type ToCoordinator,
  toCoordinatorHeader,
} from './frames.ts'
import type { JobRecord, JobStore, StoredResult } from './job-store.ts'
import { Scheduler, type WorkerStats } from './scheduler.ts'

/** Time to reach a worker and open a stream (ms); one out of reach is tried again at the next discovery round. */
const DIAL_TIMEOUT_MS = 15_000

const DETERMINISTIC_FAILURES = new Set(['trap', 'oversized-output', 'bad-output'])

export interface JobProgress {
  id: string
  state: JobRecord['state']
  tasks: number
  done: number
  failed: number
  /** Workers with a live stream that answered `ready`. */
  workers: number
  /** Workers with tasks in flight. */
  busy: number
  /** Verified tasks per second in this run. */
  rate: number
  etaS: number | undefined
  /** Task runs per verified task so far (K without adaptive replication). */
  replication: number
  bans: number
  rechecked: number
  expired: number
  /** Open tasks waiting for a worker that is not there (e.g. a third one to settle a disagreement). */
  blocked: number
  elapsedMs: number
  error?: { name: string; message: string }
}

export interface JobRunInit {
  ctx: ServiceContext
  store: JobStore
  record: JobRecord
  module: Uint8Array
  inputs: Uint8Array[]
  restored: StoredResult[]
  /** Extra worker addresses to try (multiaddrs with /p2p/), besides discovery. */
  workers?: string[]
  /** How long to look for a first worker before failing (ms). @default DEFAULT_COMPUTE_WORKER_WAIT_MS */
  workerWaitMs?: number
  /** How long open tasks may wait for a worker allowed to take them (ms). @default DEFAULT_COMPUTE_BLOCKED_WAIT_MS */
  blockedWaitMs?: number
  malformed: () => void
}

export class JobRun {
  readonly id: string
  readonly done: Promise<Uint8Array[]>
  readonly #i: JobRunInit
  readonly #s: Scheduler
  readonly #sessions = new Map<string, { stream: Stream; ready: boolean }>()
  readonly #persisted = new Set<number>()
  readonly #abort = new AbortController()
  readonly #started = Date.now()
  #doneBefore: number
  #lastWorkerAt = Date.now()
  #finish!: (r: Uint8Array[]) => void
  #fail!: (e: Error) => void
  #timer: ReturnType<typeof setInterval> | undefined
  #discovery: ReturnType<typeof setInterval> | undefined
  #hadWorker = false
  #blockedSince: number | undefined
  #tickMs = 1_000
  #lastTick = 0

  constructor(init: JobRunInit) {
    this.#i = init
    this.id = init.record.id
    this.#s = new Scheduler({
      tasks: init.record.tasks,
      replicas: init.record.replicas,
      maxReplicas: Math.max(DEFAULT_COMPUTE_MAX_REPLICAS, init.record.replicas + 2),
      trustStreak: DEFAULT_COMPUTE_TRUST_STREAK,
      spotCheck: DEFAULT_COMPUTE_SPOT_CHECK,
      leaseFactor: DEFAULT_COMPUTE_LEASE_FACTOR,
      minLeaseMs: DEFAULT_COMPUTE_MIN_LEASE_MS,
      initialLeaseMs: init.record.timeMs + 2 * DEFAULT_COMPUTE_MIN_LEASE_MS,
      pipeline: DEFAULT_COMPUTE_PIPELINE,
      batchMs: DEFAULT_COMPUTE_BATCH_MS,
      maxBatch: MAX_COMPUTE_BATCH_TASKS,
    })
    for (const r of init.restored) {
      this.#s.restore(r.index, r.digest, r.output, r.voters)
      this.#persisted.add(r.index)
    }
    this.#doneBefore = this.#s.accepted().size
    this.done = new Promise((resolve, reject) => {
      this.#finish = resolve
      this.#fail = reject
    })
    this.done.catch(() => undefined) // observed by whoever awaits it; never an unhandled rejection
  }

  start(): void {
    if (this.#s.done()) {
      this.#complete()
      return
    }
    this.#tickMs = Math.max(100, Math.min(1_000, this.#s.leaseMs() / 4))
    this.#lastTick = Date.now()
    this.#timer = setInterval(() => this.#tick(), this.#tickMs)
    this.#discovery = setInterval(() => void this.#discover(), DEFAULT_COMPUTE_DISCOVERY_MS)
    void this.#discover()
  }

  abort(reason = 'job stopped'): void {
    this.#end(new TaskFailedError('aborted', reason))
  }

  progress(): JobProgress {
    const elapsedMs = Date.now() - this.#started
    const done = this.#s.accepted().size
    const rate = ((done - this.#doneBefore) * 1000) / Math.max(1, elapsedMs)
    const remaining = this.#i.record.tasks - done - this.#s.failed.size
    return {
      id: this.id,
      state: this.#i.record.state,
      tasks: this.#i.record.tasks,
      done,
      failed: this.#s.failed.size,
      workers: [...this.#sessions.values()].filter((x) => x.ready).length,
      busy: this.#s.busyWorkers(),
      rate: Math.round(rate * 10) / 10,
      etaS: rate > 0 ? Math.round(remaining / rate) : undefined,
      replication: done - this.#doneBefore > 0 ? this.#s.stats.results / (done - this.#doneBefore) : 0,
      bans: this.#s.stats.bans,
      rechecked: this.#s.stats.rechecked,
      expired: this.#s.stats.expired,
      blocked: this.#blockedSince === undefined ? 0 : (this.#s.blocked()?.tasks ?? 0),
      elapsedMs,
      ...(this.#i.record.error === undefined
        ? {}
        : { error: { name: 'TaskFailedError', message: this.#i.record.error } }),
    }
  }

  workers(): WorkerStats[] {
    return this.#s.workerStats()
  }

  async #discover(): Promise<void> {
    const { ctx } = this.#i
    const self = ctx.node.peerId.toString()
    const tryPeer = (id: string, addrs: string[] = []) => {
      if (id === self || this.#sessions.has(id) || this.#s.isBanned(id)) return
      void this.#open(id, addrs)
    }
    for (const a of this.#i.workers ?? []) {
      // the last /p2p/ names the worker (checkWorkerAddr); an earlier one is a relay on a circuit address
      const id = multiaddr(a)
        .getComponents()
        .findLast((c) => c.name === 'p2p')?.value
      if (id !== undefined) tryPeer(id, [a])
    }
    for (const peer of ctx.node.getPeers()) {
      const p = await ctx.node.peerStore.get(peer).catch(() => undefined)
      if (p?.protocols.includes(COMPUTE_PROTOCOL) === true) tryPeer(peer.toString())
    }
    const routing = ctx.service<Routing>('routing')
    if (routing === undefined) return
    try {
      const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(DEFAULT_COMPUTE_DISCOVERY_MS)])
      for await (const p of routing.findProviders(await workersCid(), { signal, limit: 256 })) {
        tryPeer(p.peerId, p.addrs)
      }
    } catch (err) {
      if (!this.#abort.signal.aborted)
        ctx.events('compute.discovery-failed', { error: toError(err).message }, 'debug')
    }
  }

  async #open(id: string, addrs: string[]): Promise<void> {
    const { ctx, record } = this.#i
    const session = { stream: undefined as unknown as Stream, ready: false }
    this.#sessions.set(id, session)
    try {
      const peer = peerIdFromString(id)
      const opts = {
        runOnLimitedConnection: true,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]),
      }
      // dial the addresses we were given (routing or the caller) directly; otherwise libp2p's own
      ctx.events('compute.dial', { peer: id, addrs }, 'debug')
      const conn = await ctx.node.dial(addrs.length > 0 ? addrs.map((a) => multiaddr(a)) : peer, opts)
      session.stream = await conn.newStream(COMPUTE_PROTOCOL, opts)
    } catch (err) {
      this.#sessions.delete(id)
      ctx.events('compute.dial-failed', { peer: id, error: toError(err).message }, 'debug')
      return
    }
    const send = (h: Parameters<typeof encodeFrame>[0], body?: Uint8Array) =>
      sendFrame(session.stream, encodeFrame(h, body)).catch((err: unknown) =>
        ctx.events('compute.send-failed', { peer: id, error: toError(err).message }, 'debug'),
      )
    let malformed = 0
    const onFrame = ({ header, body }: { header: ToCoordinator; body: Uint8Array }) => {
      switch (header.t) {
        case 'get':
          if (header.cid === record.module) void send({ t: 'blob', cid: header.cid }, this.#i.module)
          return
        case 'ready':
          if (session.ready) return
          session.ready = true
          this.#hadWorker = true
          this.#s.addWorker(id, header.slots)
          ctx.events('compute.worker-joined', { job: this.id, peer: id, slots: header.slots })
          this.#pump(id)
          return
        case 'refuse':
          ctx.events('compute.worker-refused', { job: this.id, peer: id, reason: header.reason }, 'warn')
          session.stream.abort(new Error('refused'))
          return
        case 'results':
          void this.#results(id, header.results, splitBatch(header.results, body))
          return
      }
    }
    void send({
      t: 'job',
      job: this.id,
      module: record.module,
      ...(record.moduleFile === undefined ? {} : { moduleFile: record.moduleFile }),
      timeMs: record.timeMs,
      maxOutputBytes: 1024 * 1024,
      maxMemoryPages: 256,
    })
    await readFrames(session.stream, toCoordinatorHeader, onFrame, (why) => {
      this.#i.malformed()
      ctx.events('compute.malformed', { peer: id, why }, 'debug')
      if (++malformed > DEFAULT_COMPUTE_MAX_MALFORMED)
        session.stream.abort(new Error('too many malformed frames'))
    })
    this.#sessions.delete(id)
    const lost = this.#s.removeWorker(id)
    if (session.ready) ctx.events('compute.worker-left', { job: this.id, peer: id, reassigned: lost.length })
    this.#afterChange()
  }

  #pump(worker: string, extra = false): void {
    const session = this.#sessions.get(worker)
    if (session?.ready !== true) return
    const out: Array<{ entry: TaskEntry; body: Uint8Array }> = []
    for (let a = this.#s.next(worker, extra); a !== undefined; a = this.#s.next(worker, extra)) {
      const input = this.#i.inputs[a.index]!
      const entry = { id: a.id, index: a.index, len: input.length, ...(a.urgent ? { first: true } : {}) }
      out.push({ entry, body: input })
    }
    for (const b of packBatches(out, this.#s.batchSize(worker))) {
      void sendFrame(session.stream, encodeFrame({ t: 'tasks', tasks: b.entries }, b.body)).catch(
        (err: unknown) =>
          this.#i.ctx.events('compute.send-failed', { peer: worker, error: toError(err).message }, 'debug'),
      )
    }
  }

  /** One `results` batch: each answer verified on its own (quorum, banning), then one round of dispatch. */
  async #results(worker: string, entries: ResultEntry[], outputs: Uint8Array[]): Promise<void> {
    for (const [i, e] of entries.entries()) {
      if ('error' in e) {
        // a pure module traps (or overflows its output) the same way everywhere: that is a result to agree on
        if (DETERMINISTIC_FAILURES.has(e.error)) {
          this.#s.complete(e.id, `error:${e.error}`, new Uint8Array(0), e.ms)
        } else this.#s.fail(e.id, e.error)
        continue
      }
      const output = outputs[i]!
      this.#s.complete(e.id, await sha256Hex(output), output, e.ms)
    }
    if (this.#s.isBanned(worker) && this.#sessions.has(worker)) {
      this.#i.ctx.events('compute.ban', { job: this.id, peer: worker }, 'warn')
      this.#sessions.get(worker)?.stream.abort(new Error('banned: returned a wrong result'))
    }
    this.#afterChange()
  }

  /**
   * Persists newly verified results and forgets re-opened ones (one write for all of them), hands out
   * work, finishes when done.
   */
  #afterChange(): void {
    const accepted = this.#s.accepted()
    const verified: StoredResult[] = []
    const reopened: number[] = []
    for (const index of this.#s.takeChanged()) {
      const output = accepted.get(index)
      if (output !== undefined && !this.#persisted.has(index)) {
        this.#persisted.add(index)
        // the digest it was accepted with (sha256 of the output, or `error:<reason>`): hashed once, on arrival
        verified.push({ index, digest: this.#s.digest(index)!, output, voters: this.#s.voters(index) })
      } else if (output === undefined && this.#persisted.delete(index)) {
        reopened.push(index)
      }
    }
    if (verified.length + reopened.length > 0) {
      void this.#i.store
        .writeResults(this.id, verified, reopened)
        .catch((err: unknown) =>
          this.#i.ctx.events('compute.persist-failed', { job: this.id, error: toError(err).message }, 'warn'),
        )
    }
    if (this.#s.done()) {
      this.#complete()
      return
    }
    for (const id of this.#sessions.keys()) this.#pump(id)
    // then lost runs that found no free place: one more each on full workers, run there first
    for (const id of this.#sessions.keys()) this.#pump(id, true)
  }

  #tick(): void {
    const now = Date.now()
    // a tick that comes late means this process was stalled: the answers that arrived meanwhile are
    // still queued behind this timer, so leases are not judged on this round
    const stalled = now - this.#lastTick > 2 * this.#tickMs + 500
    this.#lastTick = now
    if (!stalled) this.#s.expire()
    // silent far longer than any task may run (workers answer `timeout` at the time limit): stuck
    for (const peer of this.#s.stuck(2 * this.#i.record.timeMs + DEFAULT_COMPUTE_MIN_LEASE_MS)) {
      this.#i.ctx.events('compute.worker-stuck', { job: this.id, peer }, 'warn')
      this.#sessions.get(peer)?.stream.abort(new Error('worker answers nothing'))
    }
    this.#afterChange()
    if (this.#i.record.state !== 'running') return
    const ready = [...this.#sessions.values()].some((x) => x.ready)
    this.#checkBlocked(ready)
    if (ready) this.#lastWorkerAt = Date.now()
    const waited = Date.now() - this.#lastWorkerAt
    const wait = this.#i.workerWaitMs ?? DEFAULT_COMPUTE_WORKER_WAIT_MS
    const limit = this.#hadWorker ? 3 * wait : wait
    if (!ready && waited > limit) {
      this.#end(
        new NoWorkersError(
          `no compute worker available for job ${this.id.slice(0, 12)} after ${Math.round(waited / 1000)} s ` +
            '(start one with `edgeswarm node --worker` or the page\'s "contribute CPU" switch)',
        ),
      )
    }
  }

  /**
   * Open tasks that no live worker may take while nothing runs: usually two workers that disagree
   * with no third to settle it (or fewer distinct workers than K). Waits for discovery to bring one,
   * then fails with the reason instead of hanging.
   */
  #checkBlocked(ready: boolean): void {
    const b = ready ? this.#s.blocked() : undefined
    if (b === undefined) {
      this.#blockedSince = undefined
      return
    }
    const now = Date.now()
    if (this.#blockedSince === undefined) {
      this.#blockedSince = now
      this.#i.ctx.events('compute.blocked', { job: this.id, ...b }, 'warn')
    }
    if (now - this.#blockedSince < (this.#i.blockedWaitMs ?? DEFAULT_COMPUTE_BLOCKED_WAIT_MS)) return
    const why =
      b.results > 1
        ? `${b.voters} workers returned ${b.results} different results and no other worker is available to settle it`
        : `it needs ${this.#i.record.replicas} agreeing results from distinct workers and no other worker is available`
    this.#end(
      new TaskFailedError(
        'unresolved',
        `task ${b.index} cannot be verified: ${why} (${b.tasks} task(s) waited ` +
          `${Math.round((now - this.#blockedSince) / 1000)} s; add workers or lower --replicas)`,
      ),
    )
  }

  /** Stops without changing the persisted state: the peer is shutting down, the job resumes later. */
  halt(): void {
    this.#stop()
  }

  #complete(): void {
    if (this.#i.record.state !== 'running') return
    const failed = [...this.#s.failed]
    for (let i = 0; i < this.#i.record.tasks; i++) {
      const d = this.#s.digest(i)
      if (d?.startsWith('error:') === true) failed.push([i, d.slice('error:'.length)])
    }
    if (failed.length > 0) {
      const [index, reason] = failed[0]!
      this.#end(
        new TaskFailedError(
          reason,
          `task ${index} failed: ${reason} (${failed.length} task(s) failed in all)`,
        ),
      )
      return
    }
    const results = Array.from({ length: this.#i.record.tasks }, (_, i) => this.#s.accepted().get(i)!)
    this.#summary('done')
    this.#i.record.state = 'done'
    this.#i.record.finishedAt = Date.now()
    this.#stop()
    void this.#i.store.update(this.#i.record).then(() => this.#finish(results))
  }

  /** One event at the end of a job with each worker's standing (what it contributed, verified). */
  #summary(state: 'done' | 'failed'): void {
    const workers = this.#s.workerStats().map((w) => ({
      peer: w.id,
      agreed: w.agreed,
      expired: w.expired,
      banned: w.banned,
    }))
    this.#i.ctx.events('compute.job-end', { job: this.id, state, tasks: this.#i.record.tasks, workers })
  }

  #end(err: Error): void {
    if (this.#i.record.state !== 'running') return
    this.#summary('failed')
    this.#i.record.state = 'failed'
    this.#i.record.error = err.message
    this.#i.record.finishedAt = Date.now()
    this.#stop()
    void this.#i.store.update(this.#i.record)
    this.#fail(err)
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    if (this.#discovery !== undefined) clearInterval(this.#discovery)
    this.#abort.abort()
    for (const s of this.#sessions.values()) void s.stream?.close().catch(() => undefined)
  }
}

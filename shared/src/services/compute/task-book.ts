/**
 * The scheduler's bookkeeping: tasks, workers, assignments and the rules that change them (assign,
 * accept, credit, ban). `scheduler.ts` holds the decisions; this file holds the state.
 */

export interface SchedulerInit {
  /** Number of tasks (inputs); task `i` is input `i`. */
  tasks: number
  /** K: agreeing results needed to accept a task. */
  replicas: number
  /** Most replicas a task gets (disagreements and resource failures) before it fails. */
  maxReplicas: number
  /** Agreeing results in a row that make a worker trusted. */
  trustStreak: number
  /** Share (0..1) of a trusted worker's fresh tasks still replicated K times. */
  spotCheck: number
  /** Lease = max(minLeaseMs, leaseFactor x mean task time); `initialLeaseMs` until a time is known. */
  leaseFactor: number
  minLeaseMs: number
  initialLeaseMs: number
  /** Tasks in flight per worker slot (batches of them once tasks are batched). */
  pipeline: number
  /**
   * Work per batch (ms on one slot): a worker whose tasks run `t` ms gets them `floor(batchMs / t)` at a
   * time (at most `maxBatch`). 0 (the default) sends one task at a time.
   */
  batchMs?: number
  /** Most tasks per batch. @default 1 */
  maxBatch?: number
  now?: () => number
  random?: () => number
}

export interface Assignment {
  id: number
  index: number
  worker: string
  started: number
  deadline: number
  /** A run of this task was lost (worker gone, lease expired, crash): the worker should run it first. */
  urgent: boolean
}

export interface Vote {
  worker: string
  digest: string
  output: Uint8Array
}

export interface TaskState {
  target: number
  /** Accepted on a trusted worker's single result (no replica). */
  single: boolean
  votes: Vote[]
  running: Set<number>
  tried: Set<string>
  failures: string[]
  accepted?: string
}

export interface WorkerState {
  capacity: number
  running: Set<number>
  /** Tasks this worker voted on (re-checked if it is banned). */
  tasks: Set<number>
  streak: number
  agreed: number
  expired: number
  /** When it last answered anything (or joined): a worker silent for long with leases expiring is stuck. */
  heardAt: number
  /** Its mean answer time (ms, from sending a task to its answer): its leases follow it. */
  meanMs?: number
  /** Its mean task run time as it reports it (ms): its batches are sized from it. */
  taskMs?: number
  /** Tasks still to hand out in the batch being filled (see `Scheduler.next`). */
  open: number
  banned: boolean
  banReason?: string
  gone: boolean
}

export interface WorkerStats {
  id: string
  slots: number
  running: number
  agreed: number
  expired: number
  trusted: boolean
  banned: boolean
  banReason?: string
  gone: boolean
}

export class TaskBook {
  protected readonly init: Required<SchedulerInit>
  protected readonly tasks = new Map<number, TaskState>()
  protected readonly workers = new Map<string, WorkerState>()
  protected readonly assignments = new Map<number, Assignment>()
  /** Assignments whose lease ran out: a late answer still counts as a vote (the work is not wasted). */
  protected readonly late = new Map<number, Assignment>()
  /** Extra replicas wanted (task indexes; one entry per replica), served before fresh tasks. */
  protected demand: number[] = []
  /** Tasks whose run was lost (worker gone, lease expired, crash, ban) and not handed out again yet. */
  protected readonly lost = new Set<number>()
  protected readonly results = new Map<number, Uint8Array>()
  /** Tasks accepted or reopened since the last {@link takeChanged} (what the coordinator persists). */
  #changed = new Set<number>()
  /** Tasks that failed for good (index -> reason). */
  readonly failed = new Map<number, string>()
  readonly stats = { assigned: 0, results: 0, extraReplicas: 0, expired: 0, rechecked: 0, bans: 0 }
  protected fresh = 0
  #nextId = 1
  #meanMs: number | undefined

  constructor(init: SchedulerInit) {
    this.init = { now: () => Date.now(), random: Math.random, batchMs: 0, maxBatch: 1, ...init }
    if (init.replicas < 1 || init.maxReplicas < init.replicas) {
      throw new RangeError(
        `replicas must be >= 1 and <= maxReplicas, got ${init.replicas}/${init.maxReplicas}`,
      )
    }
  }

  protected now(): number {
    return this.init.now()
  }

  addWorker(id: string, slots: number): void {
    const w = this.worker(id)
    w.capacity = Math.max(1, slots) * this.init.pipeline
    w.open = 0
    w.gone = false
    w.heardAt = this.now()
  }

  /** Accepted results so far (index -> output). */
  accepted(): ReadonlyMap<number, Uint8Array> {
    return this.results
  }

  /** Tasks accepted or reopened since the last call: persisting them costs O(changes), not O(job). */
  takeChanged(): Set<number> {
    const out = this.#changed
    this.#changed = new Set()
    return out
  }

  /** The digest a task was accepted with (`error:<reason>` for an agreed deterministic failure). */
  digest(index: number): string | undefined {
    return this.tasks.get(index)?.accepted
  }

  /** The voters of an accepted task (persisted so a restarted coordinator can still re-check them). */
  voters(index: number): string[] {
    const t = this.tasks.get(index)
    return t?.accepted === undefined
      ? []
      : t.votes.filter((v) => v.digest === t.accepted).map((v) => v.worker)
  }

  done(): boolean {
    return this.results.size + this.failed.size >= this.init.tasks
  }

  /** Workers with tasks in flight. */
  busyWorkers(): number {
    let n = 0
    for (const w of this.workers.values()) if (w.running.size > 0) n++
    return n
  }

  /** Workers connected and not banned. */
  liveWorkers(): number {
    let n = 0
    for (const w of this.workers.values()) if (!w.banned && !w.gone) n++
    return n
  }

  isBanned(id: string): boolean {
    return this.workers.get(id)?.banned === true
  }

  workerStats(): WorkerStats[] {
    return [...this.workers].map(([id, w]) => ({
      id,
      slots: w.capacity / this.init.pipeline,
      running: w.running.size,
      agreed: w.agreed,
      expired: w.expired,
      trusted: this.trusted(w),
      banned: w.banned,
      ...(w.banReason === undefined ? {} : { banReason: w.banReason }),
      gone: w.gone,
    }))
  }

  /**
   * Lease of a task given to `worker`: from that worker's own mean answer time once it has one (a tab
   * behind a relay, or a slow CPU, is not judged by the fast workers' pace), else the job's mean.
   */
  leaseMs(worker?: string): number {
    const mean = (worker === undefined ? undefined : this.workers.get(worker)?.meanMs) ?? this.#meanMs
    return mean === undefined
      ? this.init.initialLeaseMs
      : Math.max(this.init.minLeaseMs, this.init.leaseFactor * mean)
  }

  protected task(index: number): TaskState {
    let t = this.tasks.get(index)
    if (t === undefined) {
      t = {
        target: this.init.replicas,
        single: false,
        votes: [],
        running: new Set(),
        tried: new Set(),
        failures: [],
      }
      this.tasks.set(index, t)
    }
    return t
  }

  protected worker(id: string): WorkerState {
    let w = this.workers.get(id)
    if (w === undefined) {
      w = {
        capacity: 0,
        running: new Set(),
        tasks: new Set(),
        streak: 0,
        agreed: 0,
        expired: 0,
        heardAt: this.now(),
        open: 0,
        banned: false,
        gone: true,
      }
      this.workers.set(id, w)
    }
    return w
  }

  protected trusted(w: WorkerState): boolean {
    return !w.banned && w.streak >= this.init.trustStreak
  }

  /**
   * Tasks a worker may have in flight: `pipeline` batches per slot while the work left would fill every
   * slot's pipeline with batches; then `pipeline` single tasks per slot while there is more work left
   * than slots to start it, so no slot waits a round trip for its next task; at the very end only one
   * per slot, so the last tasks start at once on idle slots instead of queueing behind busy ones. (A
   * worker's batches already queued when batching stops are what the others' single tasks balance.)
   * Batches are handed out whole (`Scheduler.next`): between `pipeline - 1` and `pipeline` batches
   * per slot are in flight.
   */
  protected inFlightLimit(w: WorkerState): number {
    if (this.init.pipeline <= 1) return w.capacity
    let left = this.demand.length + this.init.tasks - this.fresh
    if (left > 0 && this.tasks.has(this.fresh)) left-- // `fresh` advances lazily
    let slots = 0
    for (const x of this.workers.values()) if (!x.banned && !x.gone) slots += x.capacity / this.init.pipeline
    const batch = this.batchSize(w)
    if (batch > 1 && left >= slots * batch * this.init.pipeline) return w.capacity * batch
    return left >= slots ? w.capacity : w.capacity / this.init.pipeline
  }

  /**
   * Tasks to send `worker` per batch: about `batchMs` of its work on one slot, from the run time it
   * reports (1 until it reported one, and for tasks that take longer than `batchMs`). With K > 1, also
   * 1 while the worker is not trusted: whether a fresh task runs once is decided when it is handed out,
   * so batches queued ahead while a worker earns its trust would all be replicated.
   */
  batchSize(worker: string | WorkerState): number {
    const w = typeof worker === 'string' ? this.workers.get(worker) : worker
    if (w?.taskMs === undefined || this.init.batchMs <= 0) return 1
    if (this.init.replicas > 1 && !this.trusted(w)) return 1
    const n = Math.floor(this.init.batchMs / Math.max(w.taskMs, 0.1))
    return Math.max(1, Math.min(this.init.maxBatch, n))
  }

  /** The run time a worker reported for one task (ms): sizes its batches (see {@link batchSize}). */
  protected observeRun(worker: string, ms: number): void {
    const w = this.workers.get(worker)
    if (w === undefined || !Number.isFinite(ms) || ms < 0) return
    w.taskMs = w.taskMs === undefined ? ms : 0.8 * w.taskMs + 0.2 * ms
  }

  /** Whether `worker` may take a replica of task `index` (never two replicas on one worker). */
  protected fits(worker: string, index: number, retry = false): boolean {
    const t = this.tasks.get(index)
    if (t === undefined || t.accepted !== undefined || this.failed.has(index)) return false
    if ((!retry && t.tried.has(worker)) || t.votes.some((v) => v.worker === worker)) return false
    for (const id of t.running) if (this.assignments.get(id)?.worker === worker) return false
    return true
  }

  /**
   * A wanted replica this worker may take. A worker that hit a resource limit on a task gets it again
   * only when no fresh work is left (second pass): with few workers left that beats a stalled job.
   */
  protected pickDemand(worker: string, lostOnly = false): number | undefined {
    const w = this.workers.get(worker)!
    for (const retry of [false, true]) {
      if (retry && this.fresh < this.init.tasks) return undefined
      for (let i = 0; i < this.demand.length; i++) {
        const index = this.demand[i]!
        if (lostOnly && !this.lost.has(index)) continue
        const t = this.tasks.get(index)
        if (t === undefined || t.accepted !== undefined || this.failed.has(index)) {
          this.demand.splice(i--, 1)
          continue
        }
        if (!this.fits(worker, index, retry)) continue
        this.demand.splice(i, 1)
        if (t.single && !this.trusted(w)) {
          // a trusted worker's single run was lost: an untrusted worker's result needs K agreeing
          t.single = false
          t.target = this.init.replicas
          for (let r = t.votes.length + t.running.size + 1; r < t.target; r++) this.demand.push(index)
        }
        return index
      }
    }
    return undefined
  }

  protected pickFresh(worker: string): number | undefined {
    while (this.fresh < this.init.tasks && this.tasks.has(this.fresh)) this.fresh++
    if (this.fresh >= this.init.tasks) return undefined
    const index = this.fresh
    const t = this.task(index)
    const w = this.workers.get(worker)!
    if (this.trusted(w) && this.init.random() >= this.init.spotCheck) {
      t.single = true
      t.target = 1
    } else {
      for (let r = 1; r < t.target; r++) this.demand.push(index)
    }
    return index
  }

  protected assign(worker: string, index: number): Assignment {
    const now = this.now()
    const urgent = this.lost.delete(index)
    const a: Assignment = {
      id: this.#nextId++,
      index,
      worker,
      started: now,
      deadline: now + this.leaseMs(worker),
      urgent,
    }
    this.assignments.set(a.id, a)
    this.tasks.get(index)!.running.add(a.id)
    this.workers.get(worker)!.running.add(a.id)
    this.stats.assigned++
    return a
  }

  protected finishAssignment(a: Assignment, answered: boolean): void {
    this.assignments.delete(a.id)
    this.tasks.get(a.index)?.running.delete(a.id)
    this.workers.get(a.worker)?.running.delete(a.id)
    if (answered) this.observe(a)
  }

  /** An answer came for `a` (in time or late): counts it and feeds the mean task time leases follow. */
  protected observe(a: Assignment): void {
    this.stats.results++
    const ms = this.now() - a.started
    this.#meanMs = this.#meanMs === undefined ? ms : 0.9 * this.#meanMs + 0.1 * ms
    const w = this.workers.get(a.worker)
    if (w !== undefined) w.meanMs = w.meanMs === undefined ? ms : 0.8 * w.meanMs + 0.2 * ms
  }

  /** A run of `index` was lost: wanted again, and first (see `Scheduler.next`'s `extra`). */
  protected requeueLost(index: number): void {
    this.demand.push(index)
    this.lost.add(index)
  }

  protected accept(index: number, digest: string, output: Uint8Array): void {
    const t = this.tasks.get(index)!
    t.accepted = digest
    this.results.set(index, output)
    this.lost.delete(index)
    this.#changed.add(index)
  }

  protected credit(worker: string): void {
    const w = this.worker(worker)
    w.streak++
    w.agreed++
  }

  /**
   * Every worker whose result is part of an open disagreement loses its trust until the dispute is
   * settled: otherwise a liar keeps running unreplicated tasks (its lies accepted alone) while the
   * dispute that would expose it waits for a third worker.
   */
  protected distrust(worker: string): void {
    this.worker(worker).streak = 0
  }

  /**
   * Why the job cannot move on, when it cannot: tasks still wanted while nothing runs and no live
   * worker may take them (each already voted on them or is gone), with the first one's votes.
   */
  blocked(): { tasks: number; index: number; voters: number; results: number } | undefined {
    if (this.done() || this.assignments.size > 0) return undefined
    let first: TaskState | undefined
    let index = -1
    let tasks = 0
    for (const [i, t] of this.tasks) {
      if (t.accepted !== undefined || this.failed.has(i)) continue
      tasks++
      if (first === undefined) [first, index] = [t, i]
    }
    if (first === undefined) return undefined
    return {
      tasks,
      index,
      voters: first.votes.length,
      results: new Set(first.votes.map((v) => v.digest)).size,
    }
  }

  /** Bans a worker: reassigns its running tasks and reopens every task accepted with its vote. */
  protected ban(worker: string, reason: string): void {
    const w = this.worker(worker)
    if (w.banned) return
    w.banned = true
    w.banReason = reason
    w.streak = 0
    this.stats.bans++
    for (const id of [...w.running]) {
      const a = this.assignments.get(id)!
      this.finishAssignment(a, false)
      if (this.tasks.get(a.index)?.accepted === undefined) this.requeueLost(a.index)
    }
    for (const [id, a] of this.late) if (a.worker === worker) this.late.delete(id)
    for (const index of w.tasks) {
      const t = this.tasks.get(index)
      if (t === undefined) continue
      t.votes = t.votes.filter((v) => v.worker !== worker)
      t.tried.add(worker)
      if (t.accepted === undefined) {
        this.demand.push(index) // its withdrawn vote is replaced by an honest replica
        continue
      }
      const agreeing = t.votes.filter((v) => v.digest === t.accepted).length
      if (agreeing >= this.init.replicas) continue
      // accepted with the banned worker's vote: reopen and re-check with honest replicas
      this.stats.rechecked++
      t.accepted = undefined
      t.single = false
      this.results.delete(index)
      this.#changed.add(index)
      t.target = Math.max(t.votes.length + this.init.replicas - agreeing, this.init.replicas)
      for (let r = agreeing; r < this.init.replicas; r++) this.demand.push(index)
    }
  }
}

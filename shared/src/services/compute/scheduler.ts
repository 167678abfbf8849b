/**
 * The coordinator's scheduler: which task each worker runs next, leases, quorum, banning and adaptive
 * replication. Runtime-neutral and free of I/O (clock and randomness injected), so it is unit-tested
 * with simulated honest, slow, dead and lying workers; `coordinator.ts` drives it over the network.
 *
 * Verification (BOINC-style adaptive replication with spot checks):
 * - A task is accepted when `replicas` (K) distinct, unbanned workers returned the same result
 *   (compared by digest). A disagreement adds one more replica, up to `maxReplicas`.
 * - A worker whose result differs from an accepted one is banned: its running tasks are reassigned,
 *   its votes withdrawn, and every task accepted with its vote is reopened and re-checked.
 * - A worker with `trustStreak` agreeing results in a row (and no disagreement) is trusted: a fresh
 *   task given to it runs once and is accepted on its result alone, except that a `spotCheck` share
 *   of them is still replicated K times. Cost per task falls from K to about 1 + spotCheck*(K-1).
 *   Every worker in a disagreement loses its trust at once (streak back to 0), before the dispute is
 *   settled: a liar must not go on running unreplicated tasks while the tie-break is pending.
 * - A disagreement between two workers needs a third, distinct worker to settle it. When no live
 *   worker may take any wanted task and nothing runs, {@link blocked} says so (the coordinator waits
 *   for more workers, then fails the job with that reason instead of hanging).
 * - A lease that runs out moves the task to another worker, but a late answer still counts as a vote;
 *   a worker silent for long while its leases expire is reported as stuck.
 * - Deterministic failures (trap, oversized or bad output) are results like any other and must agree;
 *   resource failures move the task to another worker; a time or memory limit hit on two workers
 *   (or the only one) fails the task, since a pure task would hit it anywhere.
 *
 * @example
 * ```ts
 * const s = new Scheduler({ tasks: 1000, replicas: 2, ... })
 * s.addWorker('peerA', 4)
 * const a = s.next('peerA')          // { id, index } or undefined
 * s.complete(a.id, digest, output)   // later; s.done() when every task is accepted
 * ```
 */
import { type Assignment, type SchedulerInit, TaskBook, type Vote, type WorkerStats } from './task-book.ts'

export type { Assignment, SchedulerInit, WorkerStats }

export class Scheduler extends TaskBook {
  /**
   * Next task for `worker`, or undefined when it has enough in flight or nothing fits it. While the
   * worker gets batches, they are whole: a new one starts only when `batchSize` more tasks fit, and
   * calls until undefined then yield one or more whole batches (fewer only when work runs out). With
   * `extra`, a worker already full may take one more task, only one whose run was lost: sent at once
   * and run first on that worker (`urgent`), it starts when one of its slots frees instead of waiting
   * for a free place in the pipeline and then behind the worker's queue.
   */
  next(worker: string, extra = false): Assignment | undefined {
    const w = this.workers.get(worker)
    if (w === undefined || w.banned) return undefined
    if (extra) {
      const full = Math.max(w.capacity, this.inFlightLimit(w))
      if (w.gone || this.lost.size === 0 || w.running.size !== full) return undefined
      const index = this.pickDemand(worker, true)
      return index === undefined ? undefined : this.assign(worker, index)
    }
    const limit = this.inFlightLimit(w)
    if (w.running.size >= limit) return undefined
    if (w.open === 0) {
      // while batching, a new batch starts only when a whole one fits: refilling each freed place at
      // once would send one small frame per answer (each frame costs about what a task's scheduling does)
      const batch = limit > w.capacity ? this.batchSize(w) : 1
      if (w.running.size > 0 && limit - w.running.size < batch) return undefined
      w.open = batch
    }
    const index = this.pickDemand(worker) ?? this.pickFresh(worker)
    if (index === undefined) return undefined
    w.open--
    return this.assign(worker, index)
  }

  /**
   * A worker returned `digest` (and `output`) for an assignment, having run it for `runMs` (its own
   * report, which sizes its batches). Returns false when it was ignored.
   */
  complete(id: number, digest: string, output: Uint8Array, runMs?: number): boolean {
    const a = this.assignments.get(id) ?? this.late.get(id)
    if (a === undefined) return false
    if (runMs !== undefined) this.observeRun(a.worker, runMs)
    if (this.late.delete(id)) this.observe(a)
    else this.finishAssignment(a, true)
    const w = this.workers.get(a.worker)
    if (w !== undefined) w.heardAt = this.now()
    const t = this.tasks.get(a.index)
    if (w === undefined || w.banned || t === undefined || t.accepted !== undefined) return false
    if (t.votes.some((v) => v.worker === a.worker)) return false
    const vote: Vote = { worker: a.worker, digest, output }
    t.votes.push(vote)
    w.tasks.add(a.index)
    this.decide(a.index)
    return true
  }

  /** The worker could not run the task for a resource reason (`timeout`, `memory`, `crashed`, `refused`). */
  fail(id: number, reason: string): void {
    if (this.late.delete(id)) return // its lease already moved the task on
    const a = this.assignments.get(id)
    if (a === undefined) return
    this.finishAssignment(a, false)
    const w = this.workers.get(a.worker)
    if (w !== undefined) w.heardAt = this.now()
    const t = this.tasks.get(a.index)
    if (t === undefined || t.accepted !== undefined) return
    t.failures.push(reason)
    // a pure task that hit a resource limit on two workers (or on the only one) exceeds it anywhere
    const limit = reason === 'timeout' || reason === 'memory'
    const same = t.failures.filter((f) => f === reason).length
    if (limit) t.tried.add(a.worker)
    if ((limit && same >= Math.min(2, this.liveWorkers())) || t.failures.length >= this.init.maxReplicas) {
      this.failed.set(a.index, reason)
      return
    }
    this.requeueLost(a.index)
  }

  /** Drops assignments whose lease ran out (slow or hung worker); their tasks go to others. */
  expire(now = this.now()): Assignment[] {
    const out: Assignment[] = []
    for (const a of this.assignments.values()) {
      if (a.deadline <= now) out.push(a)
    }
    for (const a of out) {
      this.finishAssignment(a, false)
      this.late.set(a.id, a)
      const w = this.workers.get(a.worker)
      if (w !== undefined) w.expired++
      this.stats.expired++
      const t = this.tasks.get(a.index)
      if (t?.accepted !== undefined) continue
      t?.tried.add(a.worker) // another worker first; this one only when nobody else may (second pass)
      this.requeueLost(a.index)
    }
    // a late answer is only waited for while its task is open
    for (const [id, a] of this.late) if (this.tasks.get(a.index)?.accepted !== undefined) this.late.delete(id)
    return out
  }

  /**
   * Live workers that let a lease expire and have answered nothing for `silenceMs` while work was out
   * with them: a path that died without closing, or a wedged worker.
   */
  stuck(silenceMs: number): string[] {
    const now = this.now()
    const out: string[] = []
    for (const [id, w] of this.workers) {
      if (w.gone || w.banned || w.expired === 0 || now - w.heardAt < silenceMs) continue
      const late = [...this.late.values()].some((a) => a.worker === id)
      if (w.running.size > 0 || late) out.push(id)
    }
    return out
  }

  /** A worker left (stream closed, peer gone): its tasks in flight are reassigned at once. */
  removeWorker(worker: string): Assignment[] {
    const w = this.workers.get(worker)
    if (w === undefined) return []
    const lost = [...w.running].map((id) => this.assignments.get(id)).filter((a) => a !== undefined)
    for (const a of lost) {
      this.finishAssignment(a, false)
      if (this.tasks.get(a.index)?.accepted === undefined) this.requeueLost(a.index)
    }
    for (const [id, a] of this.late) if (a.worker === worker) this.late.delete(id)
    w.gone = true
    w.capacity = 0
    w.open = 0
    return lost
  }

  /** Restores a verified result from a previous run of this job (coordinator restart). */
  restore(index: number, digest: string, output: Uint8Array, voters: string[]): void {
    const t = this.task(index)
    t.accepted = digest
    t.target = voters.length
    t.votes = voters.map((worker) => ({ worker, digest, output }))
    this.results.set(index, output)
    for (const v of voters) this.worker(v).tasks.add(index)
  }

  private decide(index: number): void {
    const t = this.tasks.get(index)!
    const tally = new Map<string, Vote[]>()
    for (const v of t.votes) tally.set(v.digest, [...(tally.get(v.digest) ?? []), v])
    const quorum = t.single ? 1 : this.init.replicas
    for (const [digest, votes] of tally) {
      if (votes.length < quorum) continue
      this.accept(index, digest, votes[0]!.output)
      for (const v of t.votes) {
        if (v.digest === digest) this.credit(v.worker)
        else this.ban(v.worker, `result for task ${index} disagreed with ${votes.length} others`)
      }
      return
    }
    if (tally.size > 1) for (const v of t.votes) this.distrust(v.worker)
    // no quorum yet: once every replica asked for has answered, ask one more worker
    const inFlight = [...t.running].length + this.demand.filter((d) => d === index).length
    if (t.votes.length + inFlight < t.target) return
    if (t.votes.length >= t.target) {
      if (t.target >= this.init.maxReplicas) {
        this.failed.set(index, 'unresolved')
        return
      }
      t.target++
      this.stats.extraReplicas++
      this.demand.push(index)
    }
  }
}

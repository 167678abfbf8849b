import { describe, expect, it } from 'vitest'
import { Scheduler, type SchedulerInit } from './scheduler.ts'

/** A simulated worker: how long a task takes and what it answers (virtual time, no timers). */
interface SimWorker {
  id: string
  slots: number
  ms: number
  /** Probability of a wrong answer (a lying worker). */
  lie?: number
  /** Stops answering after this many tasks; `leaves` also closes its stream (else only the lease notices). */
  diesAfter?: number
  leaves?: boolean
  joinsAt?: number
}

interface SimResult {
  s: Scheduler
  elapsed: number
  /** Wrong results the liars returned, and how many of them were accepted. */
  lies: number
  liesAccepted: number
  runs: Map<number, number>
}

function seeded(seed: number): () => number {
  let x = seed
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x / 2 ** 31
  }
}

function simulate(workers: SimWorker[], init: Partial<SchedulerInit> & { tasks: number }): SimResult {
  let now = 0
  const rnd = seeded(7)
  const s = new Scheduler({
    replicas: 2,
    maxReplicas: 6,
    trustStreak: 10,
    spotCheck: 0.1,
    leaseFactor: 2,
    minLeaseMs: 50,
    initialLeaseMs: 1_000,
    pipeline: 1,
    now: () => now,
    random: rnd,
    ...init,
  })
  const events: Array<{ at: number; run: () => void }> = []
  const done = new Map<string, number>()
  const wrong = new Map<number, Set<string>>() // index -> wrong digests given
  const runs = new Map<number, number>()
  let lies = 0
  const joined = new Set<string>()
  for (let guard = 0; !s.done() && guard < 1_000_000; guard++) {
    for (const w of workers) {
      if ((w.joinsAt ?? 0) > now) continue
      if (!joined.has(w.id)) {
        joined.add(w.id)
        s.addWorker(w.id, w.slots)
      }
      for (let a = s.next(w.id); a !== undefined; a = s.next(w.id)) {
        const n = (done.get(w.id) ?? 0) + 1
        done.set(w.id, n)
        const assignment = a
        if (w.diesAfter !== undefined && n > w.diesAfter) {
          if (w.leaves === true && n === w.diesAfter + 1) {
            events.push({ at: now + 1, run: () => s.removeWorker(w.id) })
          }
          continue
        }
        events.push({
          at: now + w.ms,
          run: () => {
            runs.set(assignment.index, (runs.get(assignment.index) ?? 0) + 1)
            const liar = w.lie !== undefined && rnd() < w.lie
            const digest = liar ? `bad-${assignment.index}-${w.id}` : `ok-${assignment.index}`
            if (liar) {
              lies++
              wrong.set(assignment.index, (wrong.get(assignment.index) ?? new Set()).add(digest))
            }
            s.complete(assignment.id, digest, new TextEncoder().encode(digest), w.ms)
          },
        })
      }
    }
    events.sort((a, b) => a.at - b.at)
    const e = events.shift()
    now = e === undefined ? now + 10 : Math.max(now, e.at)
    e?.run()
    s.expire(now)
  }
  let liesAccepted = 0
  for (const [index, out] of s.accepted()) {
    if (new TextDecoder().decode(out) !== `ok-${index}`) liesAccepted++
  }
  return { s, elapsed: now, lies, liesAccepted, runs }
}

/** K=1, pipeline 2, no spot checks, the clock stopped at 0 unless given: for step-by-step cases. */
const frozenClock = (init: Partial<SchedulerInit> & { tasks: number }) =>
  new Scheduler({
    replicas: 1,
    maxReplicas: 3,
    trustStreak: 10,
    spotCheck: 0,
    leaseFactor: 2,
    minLeaseMs: 50,
    initialLeaseMs: 1_000,
    pipeline: 2,
    now: () => 0,
    ...init,
  })

const honest = (n: number, ms = 100, slots = 1): SimWorker[] =>
  Array.from({ length: n }, (_, i) => ({ id: `h${i}`, slots, ms }))

describe('compute scheduler', () => {
  it('honest workers: every task accepted with K agreeing replicas, nothing failed', () => {
    const { s, liesAccepted } = simulate(honest(4), { tasks: 200, trustStreak: 1e9 })
    expect(s.accepted().size).toBe(200)
    expect(s.failed.size).toBe(0)
    expect(liesAccepted).toBe(0)
    expect(s.stats.results).toBe(400) // exactly K = 2 runs per task: no waste
  })

  it('never gives two replicas of one task to the same worker; waits for a second worker', () => {
    const { s, elapsed } = simulate(
      [
        { id: 'a', slots: 4, ms: 10 },
        { id: 'b', slots: 1, ms: 10, joinsAt: 500 },
      ],
      {
        tasks: 20,
        trustStreak: 1e9,
      },
    )
    expect(s.accepted().size).toBe(20)
    expect(elapsed).toBeGreaterThanOrEqual(500)
  })

  it('a slow worker loses its tasks to others when its lease expires', () => {
    const { s } = simulate([...honest(3, 100), { id: 'slow', slots: 1, ms: 100_000 }], {
      tasks: 100,
      trustStreak: 1e9,
    })
    expect(s.accepted().size).toBe(100)
    expect(s.stats.expired).toBeGreaterThan(0)
  })

  it('a dead worker: tasks reassigned at once when its stream closes, or at lease expiry when not', () => {
    for (const leaves of [true, false]) {
      const { s, liesAccepted } = simulate(
        [...honest(3), { id: 'dead', slots: 2, ms: 100, diesAfter: 5, leaves }],
        {
          tasks: 100,
          trustStreak: 1e9,
        },
      )
      expect(s.accepted().size).toBe(100)
      expect(liesAccepted).toBe(0)
      if (!leaves) expect(s.stats.expired).toBeGreaterThan(0)
    }
  })

  it('a lying worker is banned, none of its wrong results is accepted, its agreed tasks re-checked', () => {
    const { s, lies, liesAccepted } = simulate([...honest(4), { id: 'liar', slots: 2, ms: 50, lie: 0.3 }], {
      tasks: 300,
    })
    expect(lies).toBeGreaterThan(0)
    expect(liesAccepted).toBe(0)
    expect(s.isBanned('liar')).toBe(true)
    expect(s.accepted().size).toBe(300)
    for (const w of s.workerStats()) if (w.id !== 'liar') expect(w.banned).toBe(false)
  })

  it('a liar that earns trust first is caught by a spot check and all its single results re-checked', () => {
    // honest for its first 40 answers (trusted after 10), then always wrong
    let answered = 0
    let now = 0
    const s = new Scheduler({
      tasks: 200,
      replicas: 2,
      maxReplicas: 6,
      trustStreak: 10,
      spotCheck: 0.25,
      leaseFactor: 2,
      minLeaseMs: 50,
      initialLeaseMs: 1_000,
      pipeline: 1,
      now: () => now,
      random: seeded(3),
    })
    for (const id of ['h0', 'h1', 'h2', 't']) s.addWorker(id, 1)
    for (let round = 0; !s.done() && round < 10_000; round++) {
      now += 10
      for (const id of ['t', 'h0', 'h1', 'h2']) {
        const a = s.next(id)
        if (a === undefined) continue
        const lie = id === 't' && answered++ >= 40
        const digest = lie ? `bad-${a.index}` : `ok-${a.index}`
        s.complete(a.id, digest, new TextEncoder().encode(digest))
      }
    }
    expect(s.isBanned('t')).toBe(true)
    expect(s.stats.rechecked).toBeGreaterThan(0)
    for (const [index, out] of s.accepted()) expect(new TextDecoder().decode(out)).toBe(`ok-${index}`)
    expect(s.accepted().size).toBe(200)
  })

  it('adaptive replication: trusted honest workers cost about 1 + spotCheck runs per task', () => {
    const { s } = simulate(honest(4, 100, 2), { tasks: 2_000, trustStreak: 10, spotCheck: 0.1 })
    expect(s.accepted().size).toBe(2_000)
    const perTask = s.stats.results / 2_000
    expect(perTask).toBeLessThan(1.2)
  })

  it('resource failures move the task; repeated ones fail it with the reason', () => {
    let now = 0
    const s = frozenClock({ tasks: 1, pipeline: 1, now: () => now })
    for (const id of ['a', 'b', 'c', 'd']) s.addWorker(id, 1)
    // a crash moves the task on; a time limit hit on two workers fails it (a pure task would hit it anywhere)
    const first = s.next('a')!
    s.fail(first.id, 'crashed')
    expect(s.failed.size).toBe(0)
    for (const id of ['b', 'c']) {
      const a = s.next(id)!
      expect(s.next(id)).toBeUndefined()
      now += 5
      s.fail(a.id, 'timeout')
    }
    expect(s.failed.get(0)).toBe('timeout')
    expect(s.done()).toBe(true)
  })

  it('restored results are not run again', () => {
    const s = frozenClock({ tasks: 3, pipeline: 4 })
    s.restore(0, 'd0', new Uint8Array([0]), ['x'])
    s.restore(2, 'd2', new Uint8Array([2]), ['x'])
    s.addWorker('a', 1)
    const a = s.next('a')!
    expect(a.index).toBe(1)
    expect(s.next('a')).toBeUndefined()
    s.complete(a.id, 'd1', new Uint8Array([1]))
    expect(s.done()).toBe(true)
  })

  it('two workers that disagree: both lose trust, nothing runs alone, the job says it is blocked until a third settles it', () => {
    // the e2e stall (~970/1000, two live "trusted" workers, nothing in flight): a liar paired with one
    // honest worker kept earning trust through its disputes, ran unreplicated tasks (lies accepted), and
    // every dispute waited for a third worker that never came, silently
    let now = 0
    const s = new Scheduler({
      tasks: 100,
      replicas: 2,
      maxReplicas: 6,
      trustStreak: 3,
      spotCheck: 0.1,
      leaseFactor: 2,
      minLeaseMs: 50,
      initialLeaseMs: 1_000,
      pipeline: 1,
      now: () => now,
      random: seeded(5),
    })
    const answered = new Map<string, number>()
    const answer = (id: string) => {
      const a = s.next(id)
      if (a === undefined) return false
      const n = (answered.get(id) ?? 0) + 1
      answered.set(id, n)
      const digest = id === 'liar' && n % 2 === 0 ? `bad-${a.index}` : `ok-${a.index}`
      s.complete(a.id, digest, new TextEncoder().encode(digest))
      return true
    }
    s.addWorker('h', 1)
    s.addWorker('liar', 1)
    for (let moved = true; moved; ) {
      now += 10
      moved = answer('h')
      moved = answer('liar') || moved
    }
    const b = s.blocked()
    expect(b).toBeDefined()
    expect(b!.results).toBe(2) // a disagreement is what waits
    expect(s.isBanned('liar')).toBe(false) // nobody could tell who lied
    for (const [index, out] of s.accepted()) expect(new TextDecoder().decode(out)).toBe(`ok-${index}`)
    for (const w of s.workerStats()) expect(w.trusted).toBe(false)
    // a third worker arrives: every dispute is settled, the liar banned, nothing wrong accepted
    s.addWorker('h2', 1)
    for (let round = 0; !s.done() && round < 1_000; round++) {
      now += 10
      answer('h2')
      answer('h')
    }
    expect(s.done()).toBe(true)
    expect(s.isBanned('liar')).toBe(true)
    for (const [index, out] of s.accepted()) expect(new TextDecoder().decode(out)).toBe(`ok-${index}`)
    expect(s.accepted().size).toBe(100)
  })

  it('a late answer (lease expired) still counts; the task moved to another worker meanwhile', () => {
    let now = 0
    const s = frozenClock({ tasks: 1, initialLeaseMs: 100, pipeline: 1, now: () => now })
    s.addWorker('slow', 1)
    s.addWorker('other', 1)
    const a = s.next('slow')!
    now = 150
    expect(s.expire().map((x) => x.id)).toEqual([a.id])
    now = 10_000
    expect(s.stuck(5_000)).toEqual(['slow']) // leases expiring and nothing heard for 10 s
    now = 150
    expect(s.next('slow')).toBeUndefined() // another worker first
    const b = s.next('other')!
    expect(b.index).toBe(a.index)
    expect(s.complete(a.id, 'd0', new Uint8Array([0]))).toBe(true) // the slow worker's answer is used
    expect(s.done()).toBe(true)
    now = 10_000
    expect(s.stuck(5_000)).toEqual([]) // it answered (late) and has nothing out
    expect(s.complete(b.id, 'd0', new Uint8Array([0]))).toBe(false)
  })

  it("a dead worker's task goes at once to a full worker, as one extra run first there", () => {
    const s = frozenClock({ tasks: 10 })
    s.addWorker('a', 1)
    s.addWorker('b', 1)
    const onA = [s.next('a')!, s.next('a')!]
    const onB = [s.next('b')!, s.next('b')!]
    expect(s.next('b')).toBeUndefined() // full: 1 slot x pipeline 2
    expect(onB.every((x) => !x.urgent)).toBe(true)
    expect(s.next('b', true)).toBeUndefined() // nothing lost yet
    const lost = s.removeWorker('a')
    expect(lost.map((x) => x.index)).toEqual(onA.map((x) => x.index))
    const extra = s.next('b', true)!
    expect(extra.index).toBe(onA[0]!.index)
    expect(extra.urgent).toBe(true)
    expect(s.next('b', true)).toBeUndefined() // one extra at most
    s.complete(onB[0]!.id, 'd', new Uint8Array([1]))
    expect(s.next('b')).toBeUndefined() // the extra run holds that place
    s.complete(extra.id, 'd', new Uint8Array([1]))
    const again = s.next('b')! // the other lost run comes before fresh work, also urgent
    expect(again.index).toBe(onA[1]!.index)
    expect(again.urgent).toBe(true)
  })

  it('batches follow the run time a worker reports: about batchMs of work each, one task at the end', () => {
    const s = frozenClock({ tasks: 100, batchMs: 100, maxBatch: 64 })
    s.addWorker('a', 1)
    expect(s.batchSize('a')).toBe(1) // no run time known yet: one task at a time, 2 in flight
    const first = [s.next('a')!, s.next('a')!]
    expect(s.next('a')).toBeUndefined()
    s.complete(first[0]!.id, 'd0', new Uint8Array([0]), 20) // ran 20 ms on the worker
    expect(s.batchSize('a')).toBe(5) // 100 ms / 20 ms
    const take = () => {
      const out = []
      for (let a = s.next('a'); a !== undefined; a = s.next('a')) out.push(a)
      return out
    }
    // pipeline 2 batches of 5, handed out whole: the 9 places left hold one batch, not 5 + 4
    const batch1 = take()
    expect(batch1.length).toBe(5)
    s.complete(first[1]!.id, 'd1', new Uint8Array([1]), 20)
    const batch2 = take()
    expect(batch2.length).toBe(5)
    s.complete(batch1[0]!.id, 'b0', new Uint8Array([0]), 20)
    expect(take().length).toBe(0) // one place freed: no frame of a single task
    for (const a of batch1.slice(1, 4)) s.complete(a.id, 'b', new Uint8Array([0]), 20)
    expect(take().length).toBe(0) // 4 places
    s.complete(batch1[4]!.id, 'b4', new Uint8Array([0]), 20)
    expect(take().length).toBe(5) // 5 places: the next whole batch
    // a report of long tasks shrinks the batch back to one (EWMA: 0.8 x 20 + 0.2 x 1000 = 216 ms)
    s.complete(batch2[0]!.id, 'b5', new Uint8Array([1]), 1_000)
    expect(s.batchSize('a')).toBe(1)
    // reports that are not a duration are ignored
    s.complete(9_999, 'x', new Uint8Array(0), Number.NaN)
    expect(s.batchSize('a')).toBe(1)
  })

  it('with K=2 a worker gets single tasks until it is trusted, then batches', () => {
    const s = frozenClock({ tasks: 1_000, replicas: 2, maxReplicas: 6, batchMs: 100, maxBatch: 64 })
    s.addWorker('a', 1)
    s.addWorker('b', 1)
    const run = (w: string) => {
      const a = s.next(w)!
      s.complete(a.id, `ok-${a.index}`, new Uint8Array([a.index % 256]), 10)
    }
    run('a')
    expect(s.batchSize('a')).toBe(1) // run time known (10 ms), but not trusted yet
    for (let i = 0; i < 40 && s.workerStats().some((w) => !w.trusted); i++) run(i % 2 === 0 ? 'b' : 'a')
    expect(s.workerStats().every((w) => w.trusted)).toBe(true)
    expect(s.batchSize('a')).toBe(10)
  })

  it('batches cover the whole job in the simulation: every task accepted once with K=1', () => {
    const r = simulate(honest(4, 10, 2), { tasks: 500, replicas: 1, pipeline: 2, batchMs: 100, maxBatch: 64 })
    expect(r.s.accepted().size).toBe(500)
    expect(r.s.failed.size).toBe(0)
    expect([...r.runs.values()].every((n) => n === 1)).toBe(true)
  })
})

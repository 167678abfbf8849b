import { afterEach, describe, expect, it, vi } from 'vitest'
import { threadPoolExecutor } from './executor.ts'
import type { WasmModule } from './wasm-api.ts'
import type { TaskRequest } from './wasm-task.ts'

/** A scripted sandbox thread: records what it was posted; the test answers, crashes or lets it hang. */
interface FakeThread {
  posted: TaskRequest[]
  terminated: boolean
  answer: (req: TaskRequest, startedAt: number, endedAt: number) => void
  fail: (req: TaskRequest, reason: string) => void
  exit: (why: string) => void
}

function fakePool(slots: number) {
  const threads: FakeThread[] = []
  const exec = threadPoolExecutor((onReply, onExit) => {
    const t: FakeThread = {
      posted: [],
      terminated: false,
      // the output is the input reversed: computed from what the thread was actually sent
      answer: (req, startedAt, endedAt) =>
        onReply({ id: req.id, ok: true, output: req.input.slice().reverse(), startedAt, endedAt }),
      fail: (req, reason) => {
        const now = Date.now()
        onReply({ id: req.id, ok: false, reason, message: reason, startedAt: now, endedAt: now })
      },
      exit: (why) => onExit(why),
    }
    threads.push(t)
    return {
      post: (req) => t.posted.push(req),
      terminate: () => {
        t.terminated = true
      },
    }
  }, slots)
  return { exec, threads }
}

const module = {} as WasmModule
const limits = { timeMs: 1_000, maxOutputBytes: 64 }
const bytes = (...b: number[]) => new Uint8Array(b)
const settled = <T>(p: Promise<T>) =>
  p.then(
    (v) => ({ v }),
    (e: unknown) => ({ e: e as Error }),
  )

describe('threadPoolExecutor', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps one task queued in each thread behind the running one and reports the run time measured there', async () => {
    const { exec, threads } = fakePool(1)
    expect([exec.slots, exec.capacity]).toEqual([1, 2])
    const runs = [1, 2, 3].map((n) => exec.run(module, bytes(n, 0), limits))
    await Promise.resolve()
    const t = threads[0]!
    expect(t.posted.map((r) => [...r.input])).toEqual([
      [1, 0],
      [2, 0],
    ])
    t.answer(t.posted[0]!, 1_000, 1_026)
    await expect(runs[0]).resolves.toEqual({ output: bytes(0, 1), ms: 26 })
    await vi.waitFor(() => expect(t.posted).toHaveLength(3)) // the third went in as the first left
    t.answer(t.posted[1]!, 1_026, 1_040)
    t.answer(t.posted[2]!, 1_040, 1_041)
    await expect(runs[1]).resolves.toEqual({ output: bytes(0, 2), ms: 14 })
    await expect(runs[2]).resolves.toEqual({ output: bytes(0, 3), ms: 1 })
    expect(threads).toHaveLength(1)
    await exec.close()
  })

  it('fills idle threads before queueing behind a running task', async () => {
    const { exec, threads } = fakePool(2)
    const runs = [1, 2, 3].map((n) => exec.run(module, bytes(n), limits))
    await Promise.resolve()
    expect(threads.map((t) => t.posted.map((r) => r.input[0]))).toEqual([[1, 3], [2]])
    await exec.close()
    for (const r of runs)
      await expect(r).rejects.toMatchObject({ name: 'TaskFailedError', reason: 'crashed' })
  })

  it('a running task past its limit fails with timeout; the task queued behind it runs on the new thread', async () => {
    vi.useFakeTimers()
    const { exec, threads } = fakePool(1)
    const hung = settled(exec.run(module, bytes(7), { ...limits, timeMs: 300 }))
    const queued = exec.run(module, bytes(8, 9), limits)
    await vi.advanceTimersByTimeAsync(300)
    const { e } = (await hung) as { e: Error }
    expect(e).toMatchObject({ name: 'TaskFailedError', reason: 'timeout' })
    expect(threads[0]!.terminated).toBe(true)
    const fresh = threads[1]!
    expect(fresh.posted.map((r) => [...r.input])).toEqual([[8, 9]])
    // a late answer from the terminated thread counts for nothing
    threads[0]!.answer(threads[0]!.posted[1]!, 0, 1)
    fresh.answer(fresh.posted[0]!, 5, 25)
    await expect(queued).resolves.toEqual({ output: bytes(9, 8), ms: 20 })
    await exec.close()
  })

  it("a queued task's limit starts when the task before it ended, by the thread's clock", async () => {
    vi.useFakeTimers()
    const { exec, threads } = fakePool(1)
    const t0 = Date.now()
    const first = exec.run(module, bytes(1), limits)
    const second = settled(exec.run(module, bytes(2), { ...limits, timeMs: 1_000 }))
    // the thread finished the first task at once, but its answer reached the main thread 900 ms later
    await vi.advanceTimersByTimeAsync(900)
    const t = threads[0]!
    t.answer(t.posted[0]!, t0, t0)
    await expect(first).resolves.toMatchObject({ ms: 0 })
    // the second has run 900 ms already: it has 100 ms left, not 1000
    await vi.advanceTimersByTimeAsync(100)
    const { e } = (await second) as { e: Error }
    expect(e).toMatchObject({ reason: 'timeout' })
    expect(t.terminated).toBe(true)
    await exec.close()
  })

  it('a thread that dies fails only its running task; the queued one is posted again, and fails alone if it kills the next', async () => {
    const { exec, threads } = fakePool(1)
    const crashed = settled(exec.run(module, bytes(1), limits))
    const queued = settled(exec.run(module, bytes(2), limits))
    const behind = exec.run(module, bytes(3), limits)
    await Promise.resolve()
    threads[0]!.exit('memory')
    expect(((await crashed) as { e: Error }).e).toMatchObject({ reason: 'memory' })
    const second = threads[1]!
    expect(second.posted.map((r) => r.input[0])).toEqual([2, 3])
    second.exit('exit 1')
    expect(((await queued) as { e: Error }).e).toMatchObject({
      reason: 'crashed',
      message: 'sandbox thread ended: exit 1',
    })
    const third = threads[2]!
    expect(third.posted.map((r) => r.input[0])).toEqual([3])
    third.answer(third.posted[0]!, 10, 12)
    await expect(behind).resolves.toEqual({ output: bytes(3), ms: 2 })
    await exec.close()
  })

  it("passes a task's own failure through without touching the thread", async () => {
    const { exec, threads } = fakePool(1)
    const trap = exec.run(module, bytes(1), limits)
    const next = exec.run(module, bytes(2), limits)
    await Promise.resolve()
    const t = threads[0]!
    t.fail(t.posted[0]!, 'trap')
    await expect(trap).rejects.toMatchObject({ reason: 'trap' })
    t.answer(t.posted[1]!, 1, 2)
    await expect(next).resolves.toMatchObject({ output: bytes(2) })
    expect([threads.length, t.terminated]).toEqual([1, false])
    await exec.close()
  })

  it('close fails running, queued and waiting tasks', async () => {
    const { exec, threads } = fakePool(1)
    const runs = [1, 2, 3].map((n) => settled(exec.run(module, bytes(n), limits)))
    await Promise.resolve()
    await exec.close()
    for (const r of await Promise.all(runs))
      expect((r as { e: Error }).e).toMatchObject({ reason: 'crashed' })
    expect(threads[0]!.terminated).toBe(true)
    await expect(exec.run(module, bytes(4), limits)).rejects.toMatchObject({ message: 'executor closed' })
  })
})

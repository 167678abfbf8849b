import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkModule } from '#shared/services/compute/module-check.ts'
import { runWasmTask } from '#shared/services/compute/wasm-task.ts'
import {
  type ComputePeer,
  computePeer,
  lyingExecutor,
  rangeInputs,
} from '../../../test/helpers/compute-peers.ts'
import { waitFor } from '../../../test/helpers/wait.ts'
import { FIXTURES, mandelbrot, wat } from '../../../test/helpers/wasm.ts'
import { threadExecutor } from './thread-executor.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// real connections, like the harness projects: a case that fails is run once more (vitest.config.ts)
describe('compute service over real libp2p connections', { timeout: 120_000, retry: 1 }, () => {
  let coordinator: ComputePeer
  const workers: ComputePeer[] = []
  let module: Uint8Array
  let local: string[]
  const inputs = rangeInputs(0, 199)

  beforeAll(async () => {
    module = await mandelbrot()
    const m = await checkModule(module, { maxMemoryPages: 256 })
    local = inputs.map((input, id) => {
      const r = runWasmTask({ id, module: m, input, maxOutputBytes: 1 << 20 })
      if (!r.ok) throw new Error(r.message)
      return hex(r.output)
    })
    coordinator = await computePeer()
    for (let i = 0; i < 3; i++) {
      const w = await computePeer()
      await w.compute.startWorker(threadExecutor(1))
      workers.push(w)
    }
  })
  afterAll(async () => {
    await Promise.all([coordinator, ...workers].map((p) => p?.stop()))
  })

  it('runs a job on 3 workers; results equal a local single-process run', async () => {
    const job = await coordinator.compute.run({ module, inputs, workers: workers.map((w) => w.addr) })
    const results = await job.done
    expect(results.map(hex)).toEqual(local)
    const p = job.progress()
    expect(p.done).toBe(200)
    expect(p.bans).toBe(0)
    expect(job.workers().filter((w) => w.agreed > 0).length).toBe(3)
  })

  it('catches and bans a lying worker; none of its wrong results is accepted', async () => {
    const liar = await computePeer()
    const counter = { lies: 0 }
    // it lies from its first answer on: a liar that joined late may get one or two tasks of a short job
    // (the warm workers take the rest), and a liar that lied only every third answer then never lied.
    // A job's worker list adds to the compute peers the coordinator is connected to, so a warm-up job
    // "on the liar alone" ran on the warm workers and did not warm it.
    await liar.compute.startWorker(lyingExecutor(threadExecutor(1), 1, counter))
    try {
      const job = await coordinator.compute.run({
        module,
        inputs: rangeInputs(200, 399, 4_000),
        workers: [...workers, liar].map((w) => w.addr),
      })
      const results = await job.done
      const m = await checkModule(module, { maxMemoryPages: 256 })
      const expected = rangeInputs(200, 399, 4_000).map((input, id) => {
        const r = runWasmTask({ id, module: m, input, maxOutputBytes: 1 << 20 })
        return r.ok ? hex(r.output) : ''
      })
      expect(results.map(hex)).toEqual(expected)
      expect(counter.lies).toBeGreaterThan(0)
      const stats = job.workers().find((w) => w.id === liar.node.peerId.toString())
      expect(stats?.banned).toBe(true)
    } finally {
      await liar.stop()
    }
  })

  it('an honest worker and a liar alone: the job waits (blocked, no lie accepted) until a third worker settles it', async () => {
    // the reduced repro of the e2e stall: two workers that disagree cannot tell who lied (a coordinator
    // of its own: the suite's is connected to the other workers, which discovery would bring in)
    const alone = await computePeer()
    const honest = await computePeer()
    await honest.compute.startWorker(threadExecutor(1))
    const liar = await computePeer()
    const counter = { lies: 0 }
    await liar.compute.startWorker(lyingExecutor(threadExecutor(1), 2, counter))
    const third = await computePeer()
    try {
      const ins = rangeInputs(700, 759)
      const job = await alone.compute.run({
        module,
        inputs: ins,
        workers: [honest, liar].map((w) => w.addr),
      })
      await waitFor('the job to report blocked tasks', () => job.progress().blocked > 0, 60_000)
      expect(job.progress().busy).toBe(0)
      expect(job.workers().find((w) => w.id === liar.node.peerId.toString())?.banned).toBe(false)
      // a third worker appears (it connects; discovery finds connected peers that speak the protocol)
      await third.compute.startWorker(threadExecutor(1))
      await third.node.dial(alone.node.getMultiaddrs()[0]!)
      const results = await job.done
      const m = await checkModule(module, { maxMemoryPages: 256 })
      const expected = ins.map((input, id) => {
        const r = runWasmTask({ id, module: m, input, maxOutputBytes: 1 << 20 })
        return r.ok ? hex(r.output) : ''
      })
      expect(results.map(hex)).toEqual(expected)
      expect(counter.lies).toBeGreaterThan(0)
      expect(job.workers().find((w) => w.id === liar.node.peerId.toString())?.banned).toBe(true)
      const thirdStats = job.workers().find((w) => w.id === third.node.peerId.toString())
      expect(thirdStats?.agreed).toBeGreaterThan(0)
    } finally {
      await Promise.all([alone, honest, liar, third].map((p) => p.stop()))
    }
  })

  it('connections closed under the service mid-job (either side hangs up): nothing lost, nothing duplicated', async () => {
    // what routing's neighbour trimming or the peer core may do to a compute stream's connection
    const own = await computePeer()
    const peers = [await computePeer(), await computePeer(), await computePeer()]
    for (const w of peers) await w.compute.startWorker(threadExecutor(1))
    try {
      const ins = rangeInputs(300, 449, 3000)
      const job = await own.compute.run({
        module,
        inputs: ins,
        replicas: 1,
        workers: peers.map((w) => w.addr),
      })
      await waitFor('first 20 tasks verified', () => job.progress().done >= 20, 60_000)
      await own.node.hangUp(peers[0]!.node.peerId)
      await peers[1]!.node.hangUp(own.node.peerId)
      const results = await job.done
      const m = await checkModule(module, { maxMemoryPages: 256 })
      const expected = ins.map((input, id) => {
        const r = runWasmTask({ id, module: m, input, maxOutputBytes: 1 << 20 })
        return r.ok ? hex(r.output) : ''
      })
      expect(results.map(hex)).toEqual(expected)
      expect(job.progress().done).toBe(ins.length)
    } finally {
      await Promise.all([own, ...peers].map((p) => p.stop()))
    }
  })

  it('a worker stopped mid-job loses nothing and duplicates nothing', async () => {
    const extra = await computePeer()
    await extra.compute.startWorker(threadExecutor(1))
    const ins = rangeInputs(400, 699, 3000)
    const job = await coordinator.compute.run({
      module,
      inputs: ins,
      replicas: 1,
      workers: [...workers, extra].map((w) => w.addr),
    })
    await waitFor('first 30 tasks verified', () => job.progress().done >= 30, 60_000)
    await extra.stop()
    const results = await job.done
    expect(results.length).toBe(300)
    const m = await checkModule(module, { maxMemoryPages: 256 })
    results.forEach((r, i) => {
      const want = runWasmTask({ id: i, module: m, input: ins[i]!, maxOutputBytes: 1 << 20 })
      expect(want.ok && hex(want.output) === hex(r)).toBe(true)
    })
  })

  it('refuses worker addresses it cannot dial with a clear error, before the job starts', async () => {
    const id = workers[0]!.node.peerId.toString()
    const before = (await coordinator.compute.jobs()).length
    for (const [addr, why] of [
      ['not-a-multiaddr', /is not a multiaddr/],
      ['/ip4/127.0.0.1/tcp/4001', /must end with one \/p2p\/<peer id>/],
      [`/ip4/127.0.0.1/tcp/4001/p2p/${id}/p2p/${id}`, /must end with one \/p2p\/<peer id>/],
      ['/ip4/127.0.0.1/tcp/4001/p2p/QmNotAPeer', /names no valid peer ID|is not a multiaddr/],
    ] as const) {
      await expect(
        coordinator.compute.run({ module, inputs: rangeInputs(0, 1), workers: [addr] }),
      ).rejects.toMatchObject({ name: 'InvalidMultiaddrError', message: expect.stringMatching(why) })
    }
    expect(await coordinator.compute.jobs()).toHaveLength(before) // no job was created
  })

  it('refuses a module with imports; kills a task that loops forever', async () => {
    await expect(
      coordinator.compute.run({ module: await wat(FIXTURES.imports), inputs: rangeInputs(0, 1) }),
    ).rejects.toMatchObject({ name: 'ModuleRejectedError' })
    const job = await coordinator.compute.run({
      module: await wat(FIXTURES.forever),
      inputs: rangeInputs(0, 0),
      timeMs: 300,
      replicas: 1,
      workers: workers.map((w) => w.addr),
    })
    await expect(job.done).rejects.toMatchObject({ name: 'TaskFailedError', reason: 'timeout' })
    // the workers survived and still compute
    const again = await coordinator.compute.run({
      module,
      inputs: rangeInputs(0, 3),
      workers: workers.map((w) => w.addr),
    })
    expect((await again.done).map(hex)).toEqual(local.slice(0, 4))
  })
})

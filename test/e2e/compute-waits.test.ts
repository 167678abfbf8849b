/**
 * A job that cannot get the workers it needs fails with a clear reason through `edgeswarm compute
 * run` on the local edge, after the wait its flags set (seconds here; the defaults are 10 s and 30 s):
 * no worker at all (`--worker-wait`, NoWorkersError), and open tasks no live worker may take
 * (`--blocked-wait`: K=2 with a single worker, TaskFailedError `unresolved` naming the task and why).
 * An edge of its own: on a shared one, routing finds the workers other files start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliJson, loopbackTcpAddr, type RunningDaemon, runCli, startDaemon } from '../helpers/daemon.ts'
import { type Edge, startEdge } from '../helpers/edge.ts'
import { MANDELBROT_WASM, mandelbrot } from '../helpers/wasm.ts'

describe('compute: no worker, or not enough of them, on the local edge', () => {
  let edge: Edge
  let coordinator: RunningDaemon
  let worker: RunningDaemon | undefined

  beforeAll(async () => {
    await mandelbrot() // fails early when the example is not built
    edge = await startEdge()
    coordinator = await startDaemon({ bootstrap: edge.url, args: ['--listen', '/ip4/127.0.0.1/tcp/0'] })
  }, 120_000)

  afterAll(async () => {
    await Promise.all([worker, coordinator].map((d) => d?.stop()))
    await edge?.stop()
  })

  it('no worker at all: NoWorkersError after --worker-wait', async () => {
    const res = await runCli(
      ['compute', 'run', MANDELBROT_WASM, '--range', '0..9', '--worker-wait', '1000'],
      {
        dataDir: coordinator.dataDir,
      },
    )
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(
      /^edgeswarm: NoWorkersError: no compute worker available for job [0-9a-f]{12} after \d+ s \(start one with `edgeswarm node --worker`/m,
    )
    // the progress the daemon streamed said so meanwhile: nothing done, no worker
    expect(res.stderr).toMatch(/0\/10 tasks {2}0\/0 workers/)
  }, 60_000)

  it('K=2 with a single worker: the tasks it ran wait for a second one, then the job fails with the reason', async () => {
    worker = await startDaemon({
      bootstrap: edge.url,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--worker', '--cpus', '1'],
    })
    const res = await runCli(
      [
        'compute',
        'run',
        MANDELBROT_WASM,
        '--range',
        '0..3',
        '--replicas',
        '2',
        '--blocked-wait',
        '1500',
        '--worker',
        loopbackTcpAddr(worker),
      ],
      { dataDir: coordinator.dataDir },
    )
    expect(res.code, res.stderr).toBe(1)
    expect(res.stderr).toMatch(
      /^edgeswarm: TaskFailedError: task \d cannot be verified: it needs 2 agreeing results from distinct workers and no other worker is available \(4 task\(s\) waited \d+ s; add workers or lower --replicas\)/m,
    )
    // the worker ran every task once over its connection, and the progress said what they waited for
    expect(res.stderr).toMatch(/0\/4 tasks {2}0\/1 workers .* 4 waiting for another worker/)
    const s = await cliJson<{ worker: { tasks: number } }>([
      'compute',
      'status',
      '--data-dir',
      worker.dataDir,
    ])
    expect(s.worker.tasks).toBe(4)
    const blocked = coordinator.events.find((e) => e.event === 'compute.blocked')
    expect(blocked).toMatchObject({ tasks: 4, voters: 1, results: 1 })
  }, 60_000)
})

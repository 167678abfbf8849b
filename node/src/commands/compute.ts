/**
 * `edgeswarm compute run|status|workers`: submit a job to the local daemon (which coordinates it)
 * and follow its progress; show running jobs; show who is computing.
 *
 * @example
 * ```sh
 * edgeswarm compute run examples/mandelbrot/mandelbrot.wasm --range 0..1023 -o rows.txt
 * edgeswarm compute status --json
 * ```
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_COMPUTE_BLOCKED_WAIT_MS, DEFAULT_COMPUTE_WORKER_WAIT_MS } from '#shared/defaults.ts'
import { InvalidInputError } from '#shared/errors.ts'
import type { JobProgress, WorkerInfo, WorkerStats } from '#shared/services/compute/index.ts'
import { callDaemon, streamDaemon } from '../control/client.ts'
import { type ClientFlags, clientCommand, dataDirOf } from './index.ts'

interface RunFlags extends ClientFlags {
  inputs?: string
  range?: string
  replicas?: string
  output?: string
  timeLimit?: string
  worker?: string[]
  workerWait?: string
  blockedWait?: string
}

function positiveInt(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidInputError(`${flag} must be an integer >= 1, got ${JSON.stringify(raw)}`)
  return n
}

/** `[#########.........] 512/1000 tasks  3 workers  120.5 tasks/s  ETA 4 s` */
export function progressLine(p: JobProgress, width = 30): string {
  const filled = p.tasks === 0 ? width : Math.round((p.done / p.tasks) * width)
  const eta = p.etaS === undefined ? '?' : `${p.etaS} s`
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.tasks} tasks  ` +
    `${p.busy}/${p.workers} workers  ${p.rate} tasks/s  ETA ${eta}` +
    (p.bans > 0 ? `  ${p.bans} banned` : '') +
    (p.blocked > 0 ? `  ${p.blocked} waiting for another worker` : '')
  )
}

async function run(modulePath: string, flags: RunFlags): Promise<void> {
  if ((flags.inputs === undefined) === (flags.range === undefined)) {
    throw new InvalidInputError('give exactly one of --inputs <file> or --range A..B')
  }
  const replicas = positiveInt(flags.replicas, '--replicas')
  const timeMs = positiveInt(flags.timeLimit, '--time-limit')
  const workerWaitMs = positiveInt(flags.workerWait, '--worker-wait')
  const blockedWaitMs = positiveInt(flags.blockedWait, '--blocked-wait')
  const body = {
    module: resolve(modulePath),
    ...(flags.inputs === undefined ? {} : { inputs: resolve(flags.inputs) }),
    ...(flags.range === undefined ? {} : { range: flags.range }),
    ...(replicas === undefined ? {} : { replicas }),
    ...(timeMs === undefined ? {} : { timeMs }),
    ...(flags.output === undefined ? {} : { out: resolve(flags.output) }),
    ...(flags.worker === undefined ? {} : { workers: flags.worker }),
    ...(workerWaitMs === undefined ? {} : { workerWaitMs }),
    ...(blockedWaitMs === undefined ? {} : { blockedWaitMs }),
  }
  const ctrl = new AbortController()
  process.once('SIGINT', () => ctrl.abort())
  const tty = process.stderr.isTTY === true
  let last: (JobProgress & { type: string; out?: string }) | undefined
  for await (const item of streamDaemon(dataDirOf(flags), 'POST', '/v1/compute/run', body, {
    signal: ctrl.signal,
  })) {
    last = item as JobProgress & { type: string; out?: string }
    if (flags.json !== true) process.stderr.write(tty ? `\r${progressLine(last)}` : `${progressLine(last)}\n`)
  }
  if (flags.json !== true && tty) process.stderr.write('\n')
  if (last === undefined) return
  if (flags.json === true) process.stdout.write(`${JSON.stringify(last, null, 2)}\n`)
  else {
    const secs = (last.elapsedMs / 1000).toFixed(1)
    process.stdout.write(
      `job ${last.id.slice(0, 16)} done: ${last.done} tasks in ${secs} s, ${last.replication.toFixed(2)} runs per task, ` +
        `${last.bans} worker(s) banned${last.out === undefined ? '' : `, results in ${last.out}`}\n`,
    )
  }
}

export function registerComputeCommands(program: Command): void {
  const compute = program
    .command('compute')
    .description('distributed computing: run WebAssembly jobs on peers')
  clientCommand(compute, 'run <module>', 'run a job (a .wasm module and its inputs) on the swarm')
    .option('--inputs <file>', 'one input per line')
    .option('--range <A..B>', 'each integer A..B as a little-endian u64')
    .option('--replicas <K>', 'agreeing results needed per task (default 2)')
    .option('-o, --output <file>', 'write results, one hex line per input, in input order')
    .option('--time-limit <ms>', 'time limit of one task (default 10000)')
    .option('--worker <multiaddr...>', 'also use these workers (multiaddrs with /p2p/)')
    .option(
      '--worker-wait <ms>',
      `fail with NoWorkersError when no worker is found for this long (default ${DEFAULT_COMPUTE_WORKER_WAIT_MS})`,
    )
    .option(
      '--blocked-wait <ms>',
      'fail when open tasks wait this long for a worker allowed to take them, e.g. a third one to ' +
        `settle a disagreement (default ${DEFAULT_COMPUTE_BLOCKED_WAIT_MS})`,
    )
    .action((module: string, flags: RunFlags) => run(module, flags))
  clientCommand(compute, 'status', 'jobs this node coordinates, and its own worker').action(
    async (flags: ClientFlags) => {
      const s = (await callDaemon(dataDirOf(flags), 'GET', '/v1/compute/status')) as {
        jobs: JobProgress[]
        worker: WorkerInfo
        malformed: number
      }
      if (flags.json === true) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
      const w = s.worker
      const lines = [
        w.enabled
          ? `worker: ${w.slots} slots, ${w.running} running, ${w.tasks} done, ${w.failed} failed`
          : 'worker: off',
        ...(s.jobs.length === 0
          ? ['no jobs']
          : s.jobs.map((j) => `${j.id.slice(0, 16)}  ${j.state.padEnd(7)} ${progressLine(j)}`)),
      ]
      process.stdout.write(`${lines.join('\n')}\n`)
    },
  )
  clientCommand(compute, 'workers', "who is computing for this node's jobs").action(
    async (flags: ClientFlags) => {
      const s = (await callDaemon(dataDirOf(flags), 'GET', '/v1/compute/workers')) as {
        self: WorkerInfo
        workers: Array<WorkerStats & { job: string }>
      }
      if (flags.json === true) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
      const lines = s.workers.map(
        (w) =>
          `${w.id}  job ${w.job.slice(0, 8)}  slots ${w.slots}  running ${w.running}  agreed ${w.agreed}` +
          `${w.trusted ? '  trusted' : ''}${w.banned ? `  BANNED (${w.banReason})` : ''}${w.gone ? '  gone' : ''}`,
      )
      process.stdout.write(`${lines.length === 0 ? 'no workers (no job running)' : lines.join('\n')}\n`)
    },
  )
}

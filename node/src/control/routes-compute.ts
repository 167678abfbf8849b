/**
 * Control API routes of the compute service: `POST /v1/compute/run` (streams progress as NDJSON,
 * then writes the results, one hex line per input in input order, to `out`),
 * `GET /v1/compute/status`, `GET /v1/compute/workers`. The CLI sends file paths (absolute), never
 * the bytes: control requests are small JSON bodies.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { InvalidInputError } from '#shared/errors.ts'
import type { ServiceHost } from '#shared/peer/service.ts'
import type { Compute, JobProgress } from '#shared/services/compute/index.ts'
import { fileInputs, rangeInputs } from '../compute/inputs.ts'
import type { ControlHandler } from './server.ts'

/** How often a running job's progress goes to the CLI (ms): smooth enough for a bar, cheap. */
const PROGRESS_INTERVAL_MS = 500

const str = (v: unknown, what: string): string | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '') throw new InvalidInputError(`${what} must be a non-empty string`)
  return v
}
const absPath = (v: unknown, what: string): string | undefined => {
  const s = str(v, what)
  if (s !== undefined && !isAbsolute(s))
    throw new InvalidInputError(`${what} must be an absolute path, got ${s}`)
  return s
}
const int = (v: unknown, what: string): number | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidInputError(`${what} must be an integer`)
  return v
}

async function* follow(
  job: { progress: () => JobProgress; done: Promise<Uint8Array[]> },
  out: string | undefined,
  signal: AbortSignal,
): AsyncGenerator<unknown> {
  let finished = false
  const results = job.done.finally(() => {
    finished = true
  })
  while (!finished && !signal.aborted) {
    yield { type: 'progress', ...job.progress() }
    await Promise.race([
      results.catch(() => undefined),
      new Promise((r) => setTimeout(r, PROGRESS_INTERVAL_MS)),
    ])
  }
  const list = await results
  if (out !== undefined) {
    await writeFile(out, list.map((r) => `${Buffer.from(r).toString('hex')}\n`).join(''))
  }
  yield { type: 'done', ...job.progress(), ...(out === undefined ? {} : { out }) }
}

export function computeRoutes(host: ServiceHost): Record<string, ControlHandler> {
  const compute = (): Compute => {
    const c = host.get<Compute>('compute')
    if (c === undefined) throw new InvalidInputError('the compute service is not running on this node')
    return c
  }
  return {
    'POST /v1/compute/run': async (body, signal) => {
      const modulePath = absPath(body.module, 'module')
      if (modulePath === undefined) throw new InvalidInputError('module (path of a .wasm file) is required')
      const inputsPath = absPath(body.inputs, 'inputs')
      const range = str(body.range, 'range')
      if ((inputsPath === undefined) === (range === undefined)) {
        throw new InvalidInputError('give exactly one of --inputs <file> or --range A..B')
      }
      let module: Uint8Array
      try {
        module = new Uint8Array(await readFile(modulePath))
      } catch (err) {
        throw new InvalidInputError(
          `cannot read module ${modulePath}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        )
      }
      const inputs = inputsPath !== undefined ? await fileInputs(inputsPath) : rangeInputs(range!)
      const replicas = int(body.replicas, 'replicas')
      const timeMs = int(body.timeMs, 'timeMs')
      const workerWaitMs = int(body.workerWaitMs, 'workerWaitMs')
      const blockedWaitMs = int(body.blockedWaitMs, 'blockedWaitMs')
      const workers = Array.isArray(body.workers) ? body.workers.map((w) => String(w)) : undefined
      const job = await compute().run({
        module,
        inputs,
        ...(replicas === undefined ? {} : { replicas }),
        ...(timeMs === undefined ? {} : { timeMs }),
        ...(workers === undefined ? {} : { workers }),
        ...(workerWaitMs === undefined ? {} : { workerWaitMs }),
        ...(blockedWaitMs === undefined ? {} : { blockedWaitMs }),
      })
      return follow(job, absPath(body.out, 'out'), signal)
    },
    'GET /v1/compute/status': async () => ({
      jobs: await compute().jobs(),
      worker: compute().workerInfo(),
      malformed: compute().malformed(),
    }),
    'GET /v1/compute/workers': async () => ({
      self: compute().workerInfo(),
      workers: compute().workers(),
    }),
  }
}

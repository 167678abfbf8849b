/**
 * A coordinator's persistent job state in `ctx.storage.kv('compute')`, so a restarted coordinator
 * resumes a job without redoing verified tasks:
 * `meta/<id>` the spec and state, `job/<id>/module` and `job/<id>/inputs` (base64), and
 * `job/<id>/c/<seq>` the changes to its verified results, one entry per write: each result with the
 * workers that agreed on it (kept so a worker banned later still has its results re-checked), and the
 * results reopened since. A coordinator writes one entry per batch of answers (a file per entry in a
 * home node's data dir), not one per task; reading replays the entries in order.
 *
 * @example
 * ```ts
 * const store = new JobStore(ctx.storage.kv('compute'))
 * const restored = await store.results(id) // first: later writes are numbered after what it read
 * await store.writeResults(id, [{ index: 3, digest, output, voters }], [])
 * ```
 */
import type { KvStore } from '../../peer/storage.ts'
import { fromBase64, toBase64 } from './content-id.ts'

export interface JobRecord {
  id: string
  module: string
  moduleFile?: string
  inputsFile?: string
  tasks: number
  replicas: number
  timeMs: number
  state: 'running' | 'done' | 'failed'
  error?: string
  createdAt: number
  finishedAt?: number
}

export interface StoredResult {
  index: number
  digest: string
  output: Uint8Array
  voters: string[]
}

/** One stored write: results (their outputs laid end to end in `o`, base64) and reopened task indexes. */
interface ResultsEntry {
  r: Array<{ i: number; d: string; n: number; v: string[] }>
  o: string
  gone: number[]
}

const pad = (i: number) => i.toString().padStart(10, '0')

export class JobStore {
  readonly #kv: KvStore
  /** Next entry number per job, set by {@link results}. */
  readonly #seq = new Map<string, number>()
  constructor(kv: KvStore) {
    this.#kv = kv
  }

  async create(rec: JobRecord, module: Uint8Array, inputs: Uint8Array[]): Promise<void> {
    await this.#kv.put(`job/${rec.id}/module`, toBase64(module))
    await this.#kv.put(`job/${rec.id}/inputs`, inputs.map(toBase64))
    await this.#kv.put(`meta/${rec.id}`, rec)
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.#kv.get<JobRecord>(`meta/${id}`)
  }

  update(rec: JobRecord): Promise<void> {
    return this.#kv.put(`meta/${rec.id}`, rec)
  }

  async jobs(): Promise<JobRecord[]> {
    return (await this.#kv.list<JobRecord>('meta/')).map(([, v]) => v)
  }

  async payload(id: string): Promise<{ module: Uint8Array; inputs: Uint8Array[] } | undefined> {
    const m = await this.#kv.get<string>(`job/${id}/module`)
    const i = await this.#kv.get<string[]>(`job/${id}/inputs`)
    if (m === undefined || i === undefined) return undefined
    return { module: fromBase64(m), inputs: i.map(fromBase64) }
  }

  /**
   * Stores newly verified results and forgets reopened ones (task indexes), in one write. The entry
   * is numbered when called, so writes still in flight replay in call order. Call {@link results}
   * first for a job that may have stored entries (a run does, when it starts).
   */
  writeResults(id: string, results: StoredResult[], reopened: number[]): Promise<void> {
    const seq = this.#seq.get(id) ?? 0
    this.#seq.set(id, seq + 1)
    const bodies = new Uint8Array(results.reduce((n, r) => n + r.output.length, 0))
    let at = 0
    for (const r of results) {
      bodies.set(r.output, at)
      at += r.output.length
    }
    const entry: ResultsEntry = {
      r: results.map((r) => ({ i: r.index, d: r.digest, n: r.output.length, v: r.voters })),
      o: toBase64(bodies),
      gone: reopened,
    }
    return this.#kv.put(`job/${id}/c/${pad(seq)}`, entry)
  }

  /** The verified results stored for a job, in task order (replays its entries). */
  async results(id: string): Promise<StoredResult[]> {
    const entries = await this.#kv.list<ResultsEntry>(`job/${id}/c/`)
    const out = new Map<number, StoredResult>()
    for (const [, e] of entries) {
      const bodies = fromBase64(e.o)
      let at = 0
      for (const r of e.r) {
        out.set(r.i, { index: r.i, digest: r.d, output: bodies.subarray(at, at + r.n), voters: r.v })
        at += r.n
      }
      for (const i of e.gone) out.delete(i)
    }
    const last = entries.at(-1)?.[0]
    const next = last === undefined ? 0 : Number(last.slice(last.lastIndexOf('/') + 1)) + 1
    this.#seq.set(id, Math.max(next, this.#seq.get(id) ?? 0)) // never back over a write in flight
    return [...out.values()].sort((a, b) => a.index - b.index)
  }
}

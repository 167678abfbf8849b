/**
 * A coordinator's persistent job state in `ctx.storage.kv('compute')`, so a restarted coordinator
 * resumes a job without redoing verified tasks:
 * `meta/<id>` the spec and state, `job/<id>/module` and `job/<id>/inputs` (base64), and
 * `job/<id>/r/<index>` one verified result with the workers that agreed on it (kept so a worker banned
 * later still has its results re-checked).
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

const pad = (i: number) => i.toString().padStart(10, '0')

export class JobStore {
  readonly #kv: KvStore
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

  putResult(id: string, r: StoredResult): Promise<void> {
    return this.#kv.put(`job/${id}/r/${pad(r.index)}`, {
      i: r.index,
      d: r.digest,
      o: toBase64(r.output),
      v: r.voters,
    })
  }

  deleteResult(id: string, index: number): Promise<void> {
    return this.#kv.delete(`job/${id}/r/${pad(index)}`)
  }

  async results(id: string): Promise<StoredResult[]> {
    const rows = await this.#kv.list<{ i: number; d: string; o: string; v: string[] }>(`job/${id}/r/`)
    return rows.map(([, r]) => ({ index: r.i, digest: r.d, output: fromBase64(r.o), voters: r.v }))
  }
}

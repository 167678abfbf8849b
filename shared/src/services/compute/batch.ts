/**
 * Batches on the compute wire: many tasks in one `tasks` frame and many answers in one `results` frame
 * (framing, encryption and a stream message cost about as much CPU per frame as the scheduling of a
 * task). {@link packBatches} fills frames up to the batch limits; {@link splitBatch} cuts a received
 * body back into one piece per entry.
 *
 * @example
 * ```ts
 * for (const b of packBatches(items, 8)) send({ t: 'tasks', tasks: b.entries }, b.body)
 * const inputs = splitBatch(header.tasks, body) // inputs[i] belongs to header.tasks[i]
 * ```
 */
import { MAX_COMPUTE_BATCH_BYTES, MAX_COMPUTE_BATCH_TASKS } from '../../constants.ts'

export interface Batch<E> {
  entries: E[]
  body: Uint8Array
}

/**
 * Packs entries (each with its body, `len` set from it) into batches of at most `maxEntries` entries
 * and MAX_COMPUTE_BATCH_BYTES of bodies, in order; a body larger than that goes in a batch of its own.
 */
export function packBatches<E>(
  items: Array<{ entry: E; body?: Uint8Array }>,
  maxEntries = MAX_COMPUTE_BATCH_TASKS,
): Array<Batch<E>> {
  const limit = Math.max(1, Math.min(maxEntries, MAX_COMPUTE_BATCH_TASKS))
  const out: Array<Batch<E>> = []
  let group: typeof items = []
  let bytes = 0
  const close = () => {
    if (group.length === 0) return
    const body = new Uint8Array(bytes)
    let at = 0
    for (const it of group) {
      if (it.body === undefined) continue
      body.set(it.body, at)
      at += it.body.length
    }
    out.push({ entries: group.map((it) => it.entry), body })
    group = []
    bytes = 0
  }
  for (const it of items) {
    const n = it.body?.length ?? 0
    if (group.length >= limit || (group.length > 0 && bytes + n > MAX_COMPUTE_BATCH_BYTES)) close()
    group.push(it)
    bytes += n
  }
  close()
  return out
}

/** The body of a validated batch cut into one piece per entry (entries without `len` get none). */
export function splitBatch(entries: readonly object[], body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  for (const e of entries) {
    const n = (e as { len?: number }).len ?? 0
    out.push(body.subarray(at, at + n))
    at += n
  }
  return out
}

import { describe, expect, it } from 'vitest'
import { MAX_COMPUTE_BATCH_BYTES, MAX_COMPUTE_BATCH_TASKS } from '../../constants.ts'
import { packBatches, splitBatch } from './batch.ts'
import { toCoordinatorHeader, toWorkerHeader } from './frames.ts'

describe('compute frame headers', () => {
  it('a task may ask to run first; a malformed first flag makes the frame malformed', () => {
    const task = { id: 1, index: 2, len: 3 }
    expect(toWorkerHeader({ t: 'tasks', tasks: [task] }, 3)).toEqual({ t: 'tasks', tasks: [task] })
    expect(toWorkerHeader({ t: 'tasks', tasks: [{ ...task, first: true }] }, 3)).toBeDefined()
    expect(toWorkerHeader({ t: 'tasks', tasks: [{ ...task, first: 'yes' }] }, 3)).toBeUndefined()
    expect(toWorkerHeader({ t: 'tasks', tasks: [{ ...task, id: -1 }] }, 3)).toBeUndefined()
    expect(toWorkerHeader({ t: 'task', id: 1, index: 2 })).toBeUndefined() // 1.0.0's single task
    expect(toWorkerHeader({ t: 'nope' })).toBeUndefined()
    expect(toCoordinatorHeader({ t: 'ready', slots: 0 })).toBeUndefined()
  })

  it('a batch is 1..64 entries whose lengths add up to the body, else the frame is malformed', () => {
    const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, index: i, len: 2 }))
    expect(toWorkerHeader({ t: 'tasks', tasks: tasks(3) }, 6)).toBeDefined()
    expect(toWorkerHeader({ t: 'tasks', tasks: tasks(3) }, 7)).toBeUndefined()
    expect(toWorkerHeader({ t: 'tasks', tasks: [] }, 0)).toBeUndefined()
    expect(toWorkerHeader({ t: 'tasks', tasks: tasks(MAX_COMPUTE_BATCH_TASKS + 1) }, 130)).toBeUndefined()
    expect(toWorkerHeader({ t: 'tasks', tasks: 'x' }, 0)).toBeUndefined()
    const ok = { id: 3, len: 4, ms: 12 }
    const err = { id: 4, error: 'timeout', ms: 500 }
    expect(toCoordinatorHeader({ t: 'results', results: [ok, err] }, 4)).toBeDefined()
    expect(toCoordinatorHeader({ t: 'results', results: [ok] }, 5)).toBeUndefined()
    expect(toCoordinatorHeader({ t: 'results', results: [{ ...err, len: 0 }] }, 0)).toBeUndefined()
    expect(toCoordinatorHeader({ t: 'results', results: [{ id: 3, len: 4 }] }, 4)).toBeUndefined()
    expect(toCoordinatorHeader({ t: 'result', id: 3 })).toBeUndefined() // 1.0.0's single result
  })

  it('packs entries into batches within the limits and splits a body back per entry', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({
      entry: { id: i, len: i },
      body: new Uint8Array(i).fill(i),
    }))
    const batches = packBatches(items, 4)
    expect(batches.map((b) => b.entries.length)).toEqual([4, 4, 2])
    const back = batches.flatMap((b) => splitBatch(b.entries, b.body))
    expect(back.map((b) => Array.from(b))).toEqual(items.map((it) => Array.from(it.body)))
    // answers without a body (failures) take no bytes
    const mixed = packBatches([
      { entry: { id: 1, error: 'trap' } },
      { entry: { id: 2, len: 1 }, body: new Uint8Array([7]) },
    ])
    expect(mixed).toHaveLength(1)
    expect(splitBatch(mixed[0]!.entries, mixed[0]!.body).map((b) => b.length)).toEqual([0, 1])
    // a body over the byte limit goes alone
    const big = new Uint8Array(MAX_COMPUTE_BATCH_BYTES)
    const sizes = packBatches([
      { entry: { len: 1 }, body: new Uint8Array(1) },
      { entry: { len: big.length }, body: big },
      { entry: { len: 1 }, body: new Uint8Array(1) },
    ]).map((b) => b.body.length)
    expect(sizes).toEqual([1, MAX_COMPUTE_BATCH_BYTES, 1])
  })
})

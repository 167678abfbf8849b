import { describe, expect, it } from 'vitest'
import { memoryKv } from '../../peer/storage.ts'
import { JobStore, type StoredResult } from './job-store.ts'

const result = (index: number, len: number, voters = ['a', 'b']): StoredResult => ({
  index,
  digest: len === 0 ? 'error:trap' : `d${index}`,
  output: Uint8Array.from({ length: len }, (_, i) => (index * 31 + i) % 256),
  voters,
})

describe('compute job store', () => {
  it('replays batched writes: results in task order, reopened ones gone, bytes intact', async () => {
    const kv = memoryKv()
    const store = new JobStore(kv)
    expect(await store.results('j')).toEqual([])
    await store.writeResults('j', [result(2, 1024), result(0, 3), result(1, 0)], [])
    await store.writeResults('j', [result(5, 7)], [0]) // task 0 reopened (its voter banned)
    await store.writeResults('j', [result(0, 5, ['c', 'd'])], []) // and verified again
    const back = await new JobStore(kv).results('j')
    expect(back).toEqual([result(0, 5, ['c', 'd']), result(1, 0), result(2, 1024), result(5, 7)])
    expect(await store.results('other')).toEqual([])
  })

  it('a store opened on earlier entries numbers its writes after them', async () => {
    const kv = memoryKv()
    await new JobStore(kv).writeResults('j', [result(0, 4), result(1, 4)], [])
    const reopened = new JobStore(kv) // a restarted coordinator
    expect((await reopened.results('j')).map((r) => r.index)).toEqual([0, 1])
    await reopened.writeResults('j', [result(2, 4)], [1])
    expect((await new JobStore(kv).results('j')).map((r) => r.index)).toEqual([0, 2])
  })
})

import { describe, expect, it } from 'vitest'
import { toCoordinatorHeader, toWorkerHeader } from './frames.ts'

describe('compute frame headers', () => {
  it('a task may ask to run first; a malformed first flag makes the frame malformed', () => {
    expect(toWorkerHeader({ t: 'task', id: 1, index: 2 })).toEqual({ t: 'task', id: 1, index: 2 })
    expect(toWorkerHeader({ t: 'task', id: 1, index: 2, first: true })).toMatchObject({ first: true })
    expect(toWorkerHeader({ t: 'task', id: 1, index: 2, first: 'yes' })).toBeUndefined()
    expect(toWorkerHeader({ t: 'task', id: -1, index: 2 })).toBeUndefined()
    expect(toWorkerHeader({ t: 'nope' })).toBeUndefined()
    expect(toCoordinatorHeader({ t: 'ready', slots: 0 })).toBeUndefined()
    expect(toCoordinatorHeader({ t: 'result', id: 3 })).toEqual({ t: 'result', id: 3 })
  })
})

/**
 * Runs one task inside a sandbox thread (a Node worker thread or a Web Worker): a fresh instance per
 * task, so no state carries from one input to the next, and no imports at all. `runWasmTask` is
 * self-contained on purpose (no references outside its body): the page ships it to a Web Worker as
 * source text (`String(runWasmTask)`).
 */

import type { WasmApi, WasmModule } from './wasm-api.ts'

/** Message from the executor to a sandbox thread. */
export interface TaskRequest {
  id: number
  module: WasmModule
  input: Uint8Array
  maxOutputBytes: number
}

/** What a task produced: its output or a failure reason (`trap`, `oversized-output`, `bad-output`). */
export type TaskOutcome = { ok: true; output: Uint8Array } | { ok: false; reason: string; message: string }

/**
 * Answer of a sandbox thread: the outcome, and when the task started and ended by the thread's own
 * clock (epoch ms, `Date.now()`, the same clock on every thread): the executor reports the run time
 * from it and starts a queued task's time limit when the task before it ended, not when its answer
 * reached a busy main thread.
 */
export type TaskReply = TaskOutcome & { id: number; startedAt: number; endedAt: number }

export function runWasmTask(req: TaskRequest): TaskReply {
  const startedAt = Date.now()
  const outcome = runInstance(req)
  return { ...outcome, id: req.id, startedAt, endedAt: Date.now() }

  // declared inside: the page ships runWasmTask to its Web Workers as source text
  function runInstance(req: TaskRequest): TaskOutcome {
    try {
      // globalThis lookup inside the body: this function is shipped as source text to Web Workers
      const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
      const instance = new WA.Instance(req.module, {})
      const ex = instance.exports as unknown as {
        memory: { buffer: ArrayBuffer }
        alloc: (len: number) => number
        run: (ptr: number, len: number) => number
      }
      const ptr = ex.alloc(req.input.length) >>> 0
      if (ptr + req.input.length > ex.memory.buffer.byteLength) {
        return {
          ok: false,
          reason: 'bad-output',
          message: 'alloc returned a pointer outside memory',
        }
      }
      new Uint8Array(ex.memory.buffer, ptr, req.input.length).set(req.input)
      const out = ex.run(ptr, req.input.length) >>> 0
      const size = ex.memory.buffer.byteLength
      if (out + 4 > size) {
        return { ok: false, reason: 'bad-output', message: 'run returned a pointer outside memory' }
      }
      const len = new DataView(ex.memory.buffer).getUint32(out, true)
      if (len > req.maxOutputBytes) {
        return {
          ok: false,
          reason: 'oversized-output',
          message: `output of ${len} bytes exceeds the ${req.maxOutputBytes}-byte limit`,
        }
      }
      if (out + 4 + len > size) {
        return { ok: false, reason: 'bad-output', message: 'output runs past the end of memory' }
      }
      return { ok: true, output: new Uint8Array(ex.memory.buffer.slice(out + 4, out + 4 + len)) }
    } catch (err) {
      const e = err as { name?: string; message?: string }
      const reason = e.name === 'RangeError' ? 'memory' : 'trap'
      return { ok: false, reason, message: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` }
    }
  }
}

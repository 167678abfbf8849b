/**
 * The home node's sandboxed executor (`edgeswarm node --worker [--cpus N]`): one worker thread per
 * CPU, each with `resourceLimits` on its JS heap (the task's WebAssembly memory is capped by the
 * module's declared maximum, checked before it runs) and terminated when a task outlives its limit.
 */
import { Worker } from 'node:worker_threads'
import { type TaskExecutor, threadPoolExecutor } from '#shared/services/compute/executor.ts'
import type { TaskReply } from '#shared/services/compute/wasm-task.ts'

/** JS heap of a sandbox thread (MiB): the runner itself needs little; task memory is WebAssembly memory. */
const THREAD_OLD_GENERATION_MB = 32
const THREAD_YOUNG_GENERATION_MB = 8

// run from sources this module sits beside thread-main.ts; in the bundle (dist/node/cli.mjs,
// scripts/build-node.ts) the thread's own bundle sits beside it
const ENTRY = import.meta.url.endsWith('.mjs')
  ? new URL('./thread-main.mjs', import.meta.url)
  : new URL('./thread-main.ts', import.meta.url)

export function threadExecutor(cpus: number): TaskExecutor {
  return threadPoolExecutor((onReply, onExit) => {
    const w = new Worker(ENTRY, {
      resourceLimits: {
        maxOldGenerationSizeMb: THREAD_OLD_GENERATION_MB,
        maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB,
      },
      stdout: false,
      stderr: false,
    })
    w.unref()
    w.on('message', (reply: TaskReply) => onReply(reply))
    w.on('error', (err: Error & { code?: string }) =>
      onExit(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : `error ${err.name}: ${err.message}`),
    )
    w.on('exit', (code) => onExit(`exit ${code}`))
    return {
      post: (req, transfer) => w.postMessage(req, transfer),
      terminate: () => void w.terminate(),
    }
  }, cpus)
}

/**
 * The page's sandboxed executor ("contribute CPU"): one Web Worker per slot, terminated when a task
 * outlives its limit. The worker's code is `runWasmTask` itself, shipped as source text in a Blob URL
 * (it references nothing outside its body), so the page needs no second bundle.
 */
import { type TaskExecutor, threadPoolExecutor } from '#shared/services/compute/executor.ts'
import { runWasmTask, type TaskReply } from '#shared/services/compute/wasm-task.ts'

let workerUrl: string | undefined

function sandboxUrl(): string {
  if (workerUrl === undefined) {
    const source = `const runWasmTask = ${String(runWasmTask)};
self.onmessage = (e) => {
  const reply = runWasmTask(e.data);
  self.postMessage(reply, reply.ok ? [reply.output.buffer] : []);
};`
    workerUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))
  }
  return workerUrl
}

export function webWorkerExecutor(slots: number): TaskExecutor {
  return threadPoolExecutor((onReply, onExit) => {
    const w = new Worker(sandboxUrl(), { name: 'edgeswarm-compute' })
    w.onmessage = (e: MessageEvent<TaskReply>) => onReply(e.data)
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault()
      onExit(`error ${e.message}`)
    }
    return {
      post: (req, transfer) => w.postMessage(req, transfer),
      terminate: () => w.terminate(),
    }
  }, slots)
}

/** Logical CPUs the page may use: all but one, at least one. */
export function defaultBrowserSlots(): number {
  return Math.max(1, (navigator.hardwareConcurrency || 2) - 1)
}

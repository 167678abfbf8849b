/** Entry of one sandbox worker thread: runs each task it is sent (shared/src/services/compute/wasm-task.ts). */
import { parentPort } from 'node:worker_threads'
import { runWasmTask, type TaskRequest } from '#shared/services/compute/wasm-task.ts'

parentPort?.on('message', (req: TaskRequest) => {
  const reply = runWasmTask(req)
  parentPort?.postMessage(reply, reply.ok ? [reply.output.buffer as ArrayBuffer] : [])
})

/**
 * The worker isolate's V8 heap under `wrangler dev`, read over its inspector (Chrome DevTools protocol
 * `Runtime.getHeapUsage`). workerd's process RSS includes the runtime and native socket buffers; the
 * heap is closer to what Cloudflare's 128 MB per-isolate limit counts. Durable Objects of the worker's
 * own classes run in the worker's isolate.
 */
import WebSocket from 'ws'

export interface HeapUsage {
  usedMiB: number
  totalMiB: number
}

const MIB = 1024 * 1024

/** Heap of the first inspector target (the worker), or undefined when the inspector does not answer. */
export async function isolateHeap(inspectorPort: number, gc = false): Promise<HeapUsage | undefined> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl?: string
  }[]
  const url = targets[0]?.webSocketDebuggerUrl
  if (url === undefined) return undefined
  const ws = new WebSocket(url, { perMessageDeflate: false })
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    // with `gc`, a full collection first: the heap then holds live objects, not a transfer's garbage
    if (gc) ws.send(JSON.stringify({ id: 0, method: 'HeapProfiler.collectGarbage' }))
    ws.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }))
    const result = await new Promise<{ usedSize?: number; totalSize?: number }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('inspector did not answer Runtime.getHeapUsage')),
        5_000,
      )
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as {
          id?: number
          result?: { usedSize?: number; totalSize?: number }
        }
        if (msg.id !== 1) return
        clearTimeout(timer)
        resolve(msg.result ?? {})
      })
    })
    if (result.usedSize === undefined || result.totalSize === undefined) return undefined
    return { usedMiB: result.usedSize / MIB, totalMiB: result.totalSize / MIB }
  } finally {
    ws.close()
  }
}

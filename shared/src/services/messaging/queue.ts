/**
 * Turns a handler subscription into an AsyncIterable that ends when `signal` aborts; a reader that
 * falls `DEFAULT_PUBSUB_QUEUE_MESSAGES` behind loses the oldest messages (counted in `lost`).
 */
import { DEFAULT_PUBSUB_QUEUE_MESSAGES } from '../../defaults.ts'

export async function* subscriptionQueue<T>(
  on: (topic: string, handler: (m: T) => void) => () => void,
  topic: string,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  yield* handlerQueue<T>((h) => on(topic, h), signal)
}

export async function* handlerQueue<T>(
  subscribe: (handler: (m: T) => void) => () => void,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  const queue: T[] = []
  let wake: (() => void) | undefined
  const off = subscribe((m) => {
    queue.push(m)
    if (queue.length > DEFAULT_PUBSUB_QUEUE_MESSAGES) queue.shift()
    wake?.()
  })
  const onAbort = () => wake?.()
  signal?.addEventListener('abort', onAbort)
  try {
    while (signal?.aborted !== true) {
      const m = queue.shift()
      if (m !== undefined) {
        yield m
        continue
      }
      await new Promise<void>((r) => {
        wake = r
      })
      wake = undefined
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    off()
  }
}

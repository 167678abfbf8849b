/**
 * The two reaches into a js-libp2p stream that the circuit meter needs: replacing `send` on one
 * stream instance (the stock relay pipes the two legs of a circuit into each other with `send`), and
 * `readStatus`, which lives on js-libp2p's `AbstractMessageStream` (@libp2p/utils), not on the
 * `Stream` interface. Contract test: stream.test.ts.
 */
import type { Stream } from '@libp2p/interface'

export type Chunk = Parameters<Stream['send']>[0]

/** Replaces `stream.send` with `wrap(original)`; the original keeps its `this`. */
export function interceptSend(
  stream: Stream,
  wrap: (send: (data: Chunk) => boolean) => (data: Chunk) => boolean,
): void {
  if (typeof stream.send !== 'function') throw new Error('libp2p-compat: stream has no send()')
  stream.send = wrap(stream.send.bind(stream))
}

/** 'readable' | 'paused' | 'closing' | 'closed' on js-libp2p 3 streams; undefined elsewhere. */
export function readStatus(stream: Stream): string | undefined {
  return (stream as unknown as { readStatus?: string }).readStatus
}

/** The innermost stream of a chain of wrappers (`unwrap()`), the one that has `send`. */
export function unwrapStream(s: unknown): Stream {
  let cur = s as { unwrap?: () => unknown }
  while (typeof cur.unwrap === 'function' && (cur as { send?: unknown }).send === undefined) {
    cur = cur.unwrap() as { unwrap?: () => unknown }
  }
  return cur as unknown as Stream
}

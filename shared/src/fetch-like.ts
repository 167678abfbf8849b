/**
 * The part of `fetch` the peer core's HTTP clients use (bootstrap, mailbox, edge index, topic peers),
 * so that a shell can pass its own: the page passes the browser's `fetch`, the home node a small client
 * on `node:http` (node/src/http-fetch.ts), because the first global `fetch()` in a Node process loads
 * undici, about 30 ms of CPU right inside the node's join (docs/NOTES.md, "Start-up").
 */
export interface FetchInit {
  method?: string
  headers?: Record<string, string>
  body?: string
  signal?: AbortSignal
}

export interface ResponseLike {
  readonly status: number
  readonly ok: boolean
  readonly headers: { get(name: string): string | null }
  /** Present on a real `Response`; a client that reads the whole answer at once has none. */
  readonly body?: { cancel(): Promise<void> } | null
  text(): Promise<string>
  json(): Promise<unknown>
}

/**
 * Rejects like `fetch`: with the signal's reason when aborted (a `TimeoutError` for
 * `AbortSignal.timeout`), otherwise with a `TypeError` whose `cause` is the network error.
 */
export type FetchLike = (input: string | URL, init?: FetchInit) => Promise<ResponseLike>

/** The runtime's own `fetch` (looked up at each call, so a test may replace it). */
export const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init)

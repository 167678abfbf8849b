/**
 * The bootstrap document, read once and kept in one place: `fetchBootstrap()` (`GET /v1/bootstrap` with
 * a timeout, the network key as a Bearer token in private mode, every failure a BootstrapError with one
 * clear line) and `BootstrapSource`, which holds the latest document, re-reads it periodically or on
 * demand (throttled) and tells its listeners (reservation keepers, the page's auto-dial).
 *
 * @example
 * ```ts
 * const source = new BootstrapSource({ url: 'http://127.0.0.1:8787/v1/bootstrap', events })
 * const doc = await source.load()
 * source.onUpdate((d) => keeper.update(d.relays))
 * source.startRefreshing(60_000)
 * ```
 */
import {
  DEFAULT_BOOTSTRAP_MIN_REFRESH_MS,
  DEFAULT_BOOTSTRAP_RETRY_MAX_MS,
  DEFAULT_BOOTSTRAP_TIMEOUT_MS,
} from '../defaults.ts'
import { BootstrapError, toError } from '../errors.ts'
import { type FetchLike, globalFetch, type ResponseLike } from '../fetch-like.ts'
import { type BootstrapDocument, parseBootstrapDocument } from '../protocol/bootstrap.ts'
import { Backoff } from './backoff.ts'
import type { PeerEvents } from './events.ts'

export interface FetchBootstrapOptions {
  /** Private network: sent as `Authorization: Bearer <key>` (the worker requires it in private mode). */
  networkKey?: string
  /** @default DEFAULT_BOOTSTRAP_TIMEOUT_MS */
  timeoutMs?: number
  /** The message for a 401/403 answer: how this shell tells its user to pass the key. */
  unauthorized?: (status: number, hadKey: boolean) => string
  /** @default the runtime's `fetch` */
  fetch?: FetchLike
}

function causeOf(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string; name?: string }
  if (e?.name === 'TimeoutError') return 'timed out'
  return e?.cause?.code ?? e?.cause?.message ?? toError(err).message
}

export async function fetchBootstrap(
  url: string,
  opts: FetchBootstrapOptions = {},
): Promise<BootstrapDocument> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.networkKey !== undefined) headers.authorization = `Bearer ${opts.networkKey}`
  let res: ResponseLike
  try {
    res = await (opts.fetch ?? globalFetch)(url, {
      headers,
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_BOOTSTRAP_TIMEOUT_MS),
    })
  } catch (err) {
    throw new BootstrapError(`bootstrap ${url} unreachable: ${causeOf(err)}`)
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    throw new BootstrapError(`bootstrap ${url} failed while reading the answer: ${causeOf(err)}`)
  }
  if (res.status === 401 || res.status === 403) {
    throw new BootstrapError(
      opts.unauthorized?.(res.status, opts.networkKey !== undefined) ??
        `bootstrap ${url} answered HTTP ${res.status} (wrong or missing network key?)`,
    )
  }
  if (!res.ok) throw new BootstrapError(`bootstrap ${url} answered HTTP ${res.status}`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new BootstrapError(
      `bootstrap ${url} did not answer JSON (got ${JSON.stringify(text.slice(0, 40))}...): is this an edgeswarm edge?`,
    )
  }
  try {
    return parseBootstrapDocument(json)
  } catch (err) {
    throw new BootstrapError(`bootstrap ${url} answered an invalid document: ${toError(err).message}`)
  }
}

export interface BootstrapSourceInit extends FetchBootstrapOptions {
  /** The full document URL (`<edge>/v1/bootstrap`). */
  url: string
  events: PeerEvents
}

export class BootstrapSource {
  readonly #init: BootstrapSourceInit
  readonly #listeners = new Set<(doc: BootstrapDocument) => void>()
  #doc?: BootstrapDocument
  #error?: string
  #retryAt?: number
  #lastRead = 0
  #timer?: ReturnType<typeof setTimeout>
  #stopped = false

  constructor(init: BootstrapSourceInit) {
    this.#init = init
  }

  /** The latest document read (undefined before the first success). */
  get doc(): BootstrapDocument | undefined {
    return this.#doc
  }

  /** Why the last read failed (cleared by a success), and when the next try is due (epoch ms). */
  get error(): { message: string; retryAt?: number } | undefined {
    return this.#error === undefined
      ? undefined
      : { message: this.#error, ...(this.#retryAt === undefined ? {} : { retryAt: this.#retryAt }) }
  }

  onUpdate(listener: (doc: BootstrapDocument) => void): void {
    this.#listeners.add(listener)
  }

  /** One request for the document, without recording or announcing it (see `load`). */
  fetch(): Promise<BootstrapDocument> {
    return fetchBootstrap(this.#init.url, this.#init)
  }

  /**
   * Reads the document once (or takes the answer of an earlier `fetch()`); on success keeps it and
   * tells the listeners, on failure records the error and throws.
   */
  async load(pending?: Promise<BootstrapDocument>): Promise<BootstrapDocument> {
    const refresh = this.#doc !== undefined
    this.#lastRead = Date.now()
    try {
      const doc = await (pending ?? this.fetch())
      this.#doc = doc
      this.#error = undefined
      this.#retryAt = undefined
      this.#init.events('bootstrap.loaded', {
        network: doc.network,
        private: doc.private,
        relays: doc.relays.length,
        peers: doc.peers.length,
        superPeers: doc.superPeers.length,
        ...(refresh ? { refresh: true } : {}),
      })
      for (const l of this.#listeners) l(doc)
      return doc
    } catch (err) {
      this.#error = toError(err).message
      throw err
    }
  }

  /** Reads until a document arrives (the page waits for a starting edge), backing off between tries. */
  async loadWithRetry(signal?: AbortSignal): Promise<BootstrapDocument> {
    const backoff = new Backoff(undefined, DEFAULT_BOOTSTRAP_RETRY_MAX_MS)
    for (;;) {
      try {
        return await this.load()
      } catch (err) {
        const retryInMs = backoff.next()
        this.#retryAt = Date.now() + retryInMs
        this.#init.events('bootstrap.failed', { reason: toError(err).message, retryInMs }, 'warn')
        await new Promise((resolve) => {
          this.#timer = setTimeout(resolve, retryInMs)
        })
        signal?.throwIfAborted()
      }
    }
  }

  /** A relay failed or a peer is unknown: re-read now, at most every DEFAULT_BOOTSTRAP_MIN_REFRESH_MS. */
  async refreshSoon(): Promise<BootstrapDocument | undefined> {
    if (Date.now() - this.#lastRead < DEFAULT_BOOTSTRAP_MIN_REFRESH_MS) return this.#doc
    return this.load().catch((err: unknown) => {
      this.#init.events('bootstrap.failed', { reason: toError(err).message }, 'warn')
      return this.#doc
    })
  }

  /** Re-reads every `intervalMs` (sooner, with backoff, while reads fail) until `stop()`. */
  startRefreshing(intervalMs: number): void {
    const backoff = new Backoff(intervalMs, DEFAULT_BOOTSTRAP_RETRY_MAX_MS)
    const next = (delay: number) => {
      if (this.#stopped) return
      this.#retryAt = this.#error === undefined ? undefined : Date.now() + delay
      this.#timer = setTimeout(() => {
        this.load().then(
          () => {
            backoff.reset()
            next(intervalMs)
          },
          (err: unknown) => {
            const retryInMs = backoff.next()
            this.#init.events('bootstrap.failed', { reason: toError(err).message, retryInMs }, 'warn')
            next(retryInMs)
          },
        )
      }, delay)
      ;(this.#timer as { unref?: () => void }).unref?.()
    }
    next(intervalMs)
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
  }
}

/**
 * The routing service's side of the edge index: signed announcements (`POST /v1/routing/announce`) and
 * Delegated Routing V1 lookups (`GET /routing/v1/providers/{cid}`, `/routing/v1/peers/{id}`, NDJSON),
 * with the network's bearer credential in private mode. Web-standard `fetch` only (node and browser).
 *
 * @example
 * ```ts
 * const edge = new EdgeIndexClient({ edgeUrl: 'http://127.0.0.1:8787' })
 * for (const p of await edge.providers(cid, { signal })) console.log(p.id, p.addrs)
 * ```
 */
import {
  BOOTSTRAP_PATH,
  ROUTING_ANNOUNCE_PATH,
  ROUTING_PEERS_PATH,
  ROUTING_PROVIDERS_PATH,
} from '../../constants.ts'
import {
  DEFAULT_ROUTING_ANNOUNCE_ATTEMPTS,
  DEFAULT_ROUTING_ANNOUNCE_TIMEOUT_MS,
  DEFAULT_ROUTING_EDGE_TIMEOUT_MS,
} from '../../defaults.ts'
import { BootstrapError, QuotaExceededError } from '../../errors.ts'
import { type FetchLike, globalFetch } from '../../fetch-like.ts'
import { NDJSON_CONTENT_TYPE, readPeerRecord } from './delegated.ts'
import type { SignedRecord } from './record.ts'

export interface EdgeIndexInit {
  edgeUrl: string
  networkKey?: string | undefined
  /** One lookup's time limit (ms). @default DEFAULT_ROUTING_EDGE_TIMEOUT_MS */
  timeoutMs?: number
  /** One announcement attempt's time limit (ms). @default DEFAULT_ROUTING_ANNOUNCE_TIMEOUT_MS */
  announceTimeoutMs?: number
  /** Announcement attempts. @default DEFAULT_ROUTING_ANNOUNCE_ATTEMPTS */
  announceAttempts?: number
  /** Injected for tests (e.g. to block the edge's routing API). @default globalThis.fetch */
  fetch?: FetchLike
}

export interface EdgePeer {
  id: string
  addrs: string[]
}

export interface AnnounceAnswer {
  stored: number
  throttled: number
  addrs: string[]
}

export class EdgeIndexClient {
  readonly #base: string
  readonly #init: EdgeIndexInit
  readonly #fetch: FetchLike

  constructor(init: EdgeIndexInit) {
    // shells pass the bootstrap URL, which may name the bootstrap endpoint itself
    this.#base = init.edgeUrl.replace(/\/+$/, '').replace(new RegExp(`${BOOTSTRAP_PATH}$`), '')
    this.#init = init
    this.#fetch = init.fetch ?? globalFetch
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    const key = this.#init.networkKey
    return key === undefined ? extra : { authorization: `Bearer ${key}`, ...extra }
  }

  #signal(signal?: AbortSignal, ms = this.#init.timeoutMs ?? DEFAULT_ROUTING_EDGE_TIMEOUT_MS): AbortSignal {
    const timeout = AbortSignal.timeout(ms)
    return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  }

  /**
   * Sends a signed record; a timeout, a network error or a 5xx is retried (backoff 0.5 s, 1 s, ...): a
   * burst of announcements queues in the edge, and a provide should not lose its edge record to that.
   */
  async announce(record: SignedRecord, signal?: AbortSignal): Promise<AnnounceAnswer> {
    const attempts = this.#init.announceAttempts ?? DEFAULT_ROUTING_ANNOUNCE_ATTEMPTS
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#announceOnce(record, signal)
      } catch (err) {
        const e = err as Error & { retry?: boolean }
        const retry = e.retry === true || e.name === 'TimeoutError' || e.name === 'TypeError'
        if (!retry || attempt >= attempts || signal?.aborted === true) throw err
        await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)))
      }
    }
  }

  async #announceOnce(record: SignedRecord, signal?: AbortSignal): Promise<AnnounceAnswer> {
    const res = await this.#fetch(`${this.#base}${ROUTING_ANNOUNCE_PATH}`, {
      method: 'POST',
      headers: this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(record),
      signal: this.#signal(signal, this.#init.announceTimeoutMs ?? DEFAULT_ROUTING_ANNOUNCE_TIMEOUT_MS),
    })
    const body = (await res.json().catch(() => ({}))) as Partial<AnnounceAnswer> & { message?: string }
    if (res.status === 429) {
      throw new QuotaExceededError(
        `edge stored ${body.stored ?? 0} and throttled ${body.throttled ?? '?'} records`,
      )
    }
    if (!res.ok) {
      const err = new BootstrapError(
        `edge refused the announcement: HTTP ${res.status} ${body.message ?? ''}`.trim(),
      )
      throw Object.assign(err, { retry: res.status >= 500 })
    }
    return { stored: body.stored ?? 0, throttled: body.throttled ?? 0, addrs: body.addrs ?? [] }
  }

  async #lookup(path: string, signal?: AbortSignal): Promise<EdgePeer[]> {
    const res = await this.#fetch(`${this.#base}${path}`, {
      headers: this.#headers({ accept: `${NDJSON_CONTENT_TYPE}, application/json;q=0.5` }),
      signal: this.#signal(signal),
    })
    if (res.status === 404) {
      await res.body?.cancel()
      return []
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw new BootstrapError(`edge routing answered HTTP ${res.status} for ${path.slice(0, 80)}`)
    }
    const text = await res.text()
    const values: unknown[] = (res.headers.get('content-type') ?? '').includes(NDJSON_CONTENT_TYPE)
      ? text
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as unknown)
      : (Object.values(JSON.parse(text) as Record<string, unknown>)[0] as unknown[])
    return values.flatMap((v) => {
      const r = readPeerRecord(v)
      return r === undefined ? [] : [{ id: r.id, addrs: r.addrs }]
    })
  }

  providers(cid: string, signal?: AbortSignal): Promise<EdgePeer[]> {
    return this.#lookup(`${ROUTING_PROVIDERS_PATH}/${encodeURIComponent(cid)}`, signal)
  }

  peer(peerId: string, signal?: AbortSignal): Promise<EdgePeer[]> {
    return this.#lookup(`${ROUTING_PEERS_PATH}/${encodeURIComponent(peerId)}`, signal)
  }
}

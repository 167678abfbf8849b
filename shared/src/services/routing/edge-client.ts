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
import { DEFAULT_ROUTING_EDGE_TIMEOUT_MS } from '../../defaults.ts'
import { BootstrapError, QuotaExceededError } from '../../errors.ts'
import { NDJSON_CONTENT_TYPE, readPeerRecord } from './delegated.ts'
import type { SignedRecord } from './record.ts'

export interface EdgeIndexInit {
  edgeUrl: string
  networkKey?: string | undefined
  /** @default DEFAULT_ROUTING_EDGE_TIMEOUT_MS */
  timeoutMs?: number
  /** Injected for tests (e.g. to block the edge's routing API). @default globalThis.fetch */
  fetch?: typeof fetch
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
  readonly #fetch: typeof fetch

  constructor(init: EdgeIndexInit) {
    // shells pass the bootstrap URL, which may name the bootstrap endpoint itself
    this.#base = init.edgeUrl.replace(/\/+$/, '').replace(new RegExp(`${BOOTSTRAP_PATH}$`), '')
    this.#init = init
    this.#fetch = init.fetch ?? ((input, opts) => globalThis.fetch(input, opts))
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    const key = this.#init.networkKey
    return key === undefined ? extra : { authorization: `Bearer ${key}`, ...extra }
  }

  #signal(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.#init.timeoutMs ?? DEFAULT_ROUTING_EDGE_TIMEOUT_MS)
    return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  }

  async announce(record: SignedRecord, signal?: AbortSignal): Promise<AnnounceAnswer> {
    const res = await this.#fetch(`${this.#base}${ROUTING_ANNOUNCE_PATH}`, {
      method: 'POST',
      headers: this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(record),
      signal: this.#signal(signal),
    })
    const body = (await res.json().catch(() => ({}))) as Partial<AnnounceAnswer> & { message?: string }
    if (res.status === 429) {
      throw new QuotaExceededError(
        `edge stored ${body.stored ?? 0} and throttled ${body.throttled ?? '?'} records`,
      )
    }
    if (!res.ok)
      throw new BootstrapError(
        `edge refused the announcement: HTTP ${res.status} ${body.message ?? ''}`.trim(),
      )
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

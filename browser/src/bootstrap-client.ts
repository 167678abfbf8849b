/**
 * Reads the bootstrap document from the page's own origin (`GET /v1/bootstrap`): the page is served by
 * the same worker, so the URL people open is the bootstrap URL.
 */
import { BOOTSTRAP_PATH } from '../../shared/src/constants.ts'
import { DEFAULT_BOOTSTRAP_TIMEOUT_MS } from '../../shared/src/defaults.ts'
import { BootstrapError, toError } from '../../shared/src/errors.ts'
import { type BootstrapDocument, parseBootstrapDocument } from '../../shared/src/protocol/bootstrap.ts'

export interface FetchBootstrapOptions {
  origin?: string
  timeoutMs?: number
  /** Private network: sent as `Authorization: Bearer <key>` (the worker requires it in private mode). */
  networkKey?: string
}

export async function fetchBootstrap(opts: FetchBootstrapOptions = {}): Promise<BootstrapDocument> {
  const url = `${opts.origin ?? location.origin}${BOOTSTRAP_PATH}`
  const headers: Record<string, string> =
    opts.networkKey === undefined ? {} : { authorization: `Bearer ${opts.networkKey}` }
  let res: Response
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_BOOTSTRAP_TIMEOUT_MS),
      cache: 'no-store',
      headers,
    })
  } catch (err) {
    throw new BootstrapError(`bootstrap unreachable: GET ${url} failed (${toError(err).message})`)
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel()
    throw new BootstrapError(
      opts.networkKey === undefined
        ? 'this network is private: open the page with ?key=<network key> to join'
        : `the network key was refused (HTTP ${res.status}): open the page with the right ?key=`,
    )
  }
  if (!res.ok) {
    await res.body?.cancel()
    throw new BootstrapError(`bootstrap unreachable: GET ${url} answered HTTP ${res.status}`)
  }
  let body: unknown
  try {
    body = await res.json()
  } catch {
    throw new BootstrapError(`bootstrap invalid: GET ${url} did not answer JSON`)
  }
  try {
    return parseBootstrapDocument(body)
  } catch (err) {
    throw new BootstrapError(`bootstrap invalid: ${toError(err).message}`)
  }
}

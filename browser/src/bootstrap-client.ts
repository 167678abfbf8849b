/**
 * Reads the bootstrap document from the page's own origin (`GET /v1/bootstrap`): the page is served by
 * the same worker, so the URL people open is the bootstrap URL.
 */
import { BOOTSTRAP_PATH } from '../../shared/src/constants.ts'
import { DEFAULT_BOOTSTRAP_TIMEOUT_MS } from '../../shared/src/defaults.ts'
import { BootstrapError, toError } from '../../shared/src/errors.ts'
import { type BootstrapDocument, parseBootstrapDocument } from '../../shared/src/protocol/bootstrap.ts'

export async function fetchBootstrap(
  origin = location.origin,
  timeoutMs = DEFAULT_BOOTSTRAP_TIMEOUT_MS,
): Promise<BootstrapDocument> {
  const url = `${origin}${BOOTSTRAP_PATH}`
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), cache: 'no-store' })
  } catch (err) {
    throw new BootstrapError(`bootstrap unreachable: GET ${url} failed (${toError(err).message})`)
  }
  if (!res.ok) throw new BootstrapError(`bootstrap unreachable: GET ${url} answered HTTP ${res.status}`)
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

/**
 * Fetches and validates the bootstrap document (`GET /v1/bootstrap`), with a timeout and the network
 * key as a Bearer token in private mode. Every failure is a BootstrapError with one clear line.
 */
import { DEFAULT_BOOTSTRAP_TIMEOUT_MS } from '../../shared/src/defaults.ts'
import { BootstrapError } from '../../shared/src/errors.ts'
import { type BootstrapDocument, parseBootstrapDocument } from '../../shared/src/protocol/bootstrap.ts'

export interface FetchBootstrapOptions {
  networkKey?: string
  timeoutMs?: number
}

function causeOf(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string; name?: string }
  if (e?.name === 'TimeoutError') return 'timed out'
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)
}

export async function fetchBootstrap(
  url: string,
  opts: FetchBootstrapOptions = {},
): Promise<BootstrapDocument> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_BOOTSTRAP_TIMEOUT_MS
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.networkKey !== undefined) headers.authorization = `Bearer ${opts.networkKey}`
  let res: Response
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new BootstrapError(`bootstrap ${url} unreachable: ${causeOf(err)}`)
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    throw new BootstrapError(`bootstrap ${url} failed while reading the answer: ${causeOf(err)}`)
  }
  if (!res.ok) {
    const hint = res.status === 401 || res.status === 403 ? ' (wrong or missing --network-key?)' : ''
    throw new BootstrapError(`bootstrap ${url} answered HTTP ${res.status}${hint}`)
  }
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
    throw new BootstrapError(`bootstrap ${url} answered an invalid document: ${(err as Error).message}`)
  }
}

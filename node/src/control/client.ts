/** CLI side of the control API: reads `<data-dir>/control.json` and calls the daemon. */
import { DEFAULT_CONTROL_TIMEOUT_MS } from '#shared/defaults.ts'
import { ControlError } from '#shared/errors.ts'
import { readControlInfo } from './files.ts'

export class RemoteError extends Error {
  override readonly name: string
  constructor(name: string, message: string) {
    super(message)
    this.name = name
  }
}

async function request(
  dataDir: string,
  method: 'GET' | 'POST',
  route: string,
  body: Record<string, unknown> | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Response> {
  const info = await readControlInfo(dataDir)
  let res: Response
  try {
    const timeout = AbortSignal.timeout(timeoutMs)
    res = await fetch(`http://127.0.0.1:${info.port}${route}`, {
      method,
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
    })
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } }
    if (e.name === 'TimeoutError')
      throw new ControlError(`daemon did not answer ${route} within ${timeoutMs} ms`)
    throw new ControlError(
      `daemon not running (control API 127.0.0.1:${info.port} refused: ${e.cause?.code ?? String(err)}; pid ${info.pid})`,
    )
  }
  if (!res.ok) await failure(res)
  return res
}

async function failure(res: Response): Promise<never> {
  const json = (await res.json().catch(() => undefined)) as
    | { error?: { name?: string; message?: string } }
    | undefined
  throw new RemoteError(
    json?.error?.name ?? 'ControlError',
    json?.error?.message ?? `control API answered HTTP ${res.status}`,
  )
}

export async function callDaemon(
  dataDir: string,
  method: 'GET' | 'POST',
  route: string,
  body?: Record<string, unknown>,
  timeoutMs = DEFAULT_CONTROL_TIMEOUT_MS,
): Promise<unknown> {
  const res = await request(dataDir, method, route, body, timeoutMs)
  const json = (await res.json().catch(() => undefined)) as unknown
  if (json === undefined) throw new ControlError(`control API answered ${route} without JSON`)
  return json
}

/**
 * Calls a streaming route (NDJSON) and yields each line's value; a line `{ error: { name, message } }`
 * is thrown as a RemoteError. `timeoutMs` bounds the whole stream; `signal` ends it early (Ctrl-C).
 */
export async function* streamDaemon(
  dataDir: string,
  method: 'GET' | 'POST',
  route: string,
  body?: Record<string, unknown>,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): AsyncGenerator<unknown> {
  const res = await request(dataDir, method, route, body, opts.timeoutMs ?? 2 ** 31 - 1, opts.signal)
  if (res.body === null) return
  const decoder = new TextDecoder()
  let buf = ''
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true })
    let nl = buf.indexOf('\n')
    while (nl >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      nl = buf.indexOf('\n')
      if (line.trim() === '') continue
      const value = JSON.parse(line) as { error?: { name?: string; message?: string } }
      if (typeof value === 'object' && value !== null && value.error !== undefined) {
        throw new RemoteError(value.error.name ?? 'ControlError', value.error.message ?? 'stream failed')
      }
      yield value
    }
  }
}

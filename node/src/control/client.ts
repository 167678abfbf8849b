/** CLI side of the control API: reads `<data-dir>/control.json` and calls the daemon. */
import { DEFAULT_CONTROL_TIMEOUT_MS } from '../../../shared/src/defaults.ts'
import { ControlError } from '../../../shared/src/errors.ts'
import { readControlInfo } from './files.ts'

export class RemoteError extends Error {
  override readonly name: string
  constructor(name: string, message: string) {
    super(message)
    this.name = name
  }
}

export async function callDaemon(
  dataDir: string,
  method: 'GET' | 'POST',
  route: string,
  body?: Record<string, unknown>,
  timeoutMs = DEFAULT_CONTROL_TIMEOUT_MS,
): Promise<unknown> {
  const info = await readControlInfo(dataDir)
  let res: Response
  try {
    res = await fetch(`http://127.0.0.1:${info.port}${route}`, {
      method,
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } }
    if (e.name === 'TimeoutError')
      throw new ControlError(`daemon did not answer ${route} within ${timeoutMs} ms`)
    throw new ControlError(
      `daemon not running (control API 127.0.0.1:${info.port} refused: ${e.cause?.code ?? String(err)}; pid ${info.pid})`,
    )
  }
  const json = (await res.json().catch(() => undefined)) as
    | { error?: { name?: string; message?: string } }
    | undefined
  if (!res.ok || json === undefined) {
    throw new RemoteError(
      json?.error?.name ?? 'ControlError',
      json?.error?.message ?? `control API answered HTTP ${res.status}`,
    )
  }
  return json
}

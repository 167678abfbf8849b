/**
 * One JSON line per decision (`wrangler tail` shows them). Stable event names and fields only; the
 * namespace mirrors the folder (`edgeswarm:worker:http`).
 */

export type LogLevel = 'info' | 'warn' | 'error'

export type LogFields = Record<string, string | number | boolean | undefined>

export function logEvent(level: LogLevel, ns: string, event: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, ns, event, ...fields, time: new Date().toISOString() })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}

/** Name and message of a thrown value, for logs only (never for clients). */
export function describeError(err: unknown): { errorName: string; errorMessage: string } {
  if (err instanceof Error) return { errorName: err.name, errorMessage: err.message }
  return { errorName: typeof err, errorMessage: String(err) }
}

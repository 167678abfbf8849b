/**
 * The node's event log: one JSON line per event on stderr and appended to `<data-dir>/events.jsonl`
 * (truncated when the daemon starts), so scripts and tests can follow a node without parsing prose.
 *
 * The peer's events and their fields are typed once in shared/src/peer/events.ts (the page's decision
 * log uses the same names). The node adds:
 * - `node.started` {peerId, control, listen, startupMs} - `node.stopped` {}
 * - `node.error` {kind, error}: an unhandled rejection/exception inside a library, logged, not fatal
 * - `reachability` {reachability, reason, observed?}
 * - `relay.enabled` {}  - `relay.hop` {advertised}: hop (un)registered as public reachability comes/goes
 * - `relay.*` events of the super-peer relay (shared/src/relay/events.ts)
 * Every line also has `ts` (ISO time) and `level`.
 */
import { appendFileSync, writeFileSync } from 'node:fs'
import type { LogLevel } from './options.ts'

export type EventFields = Record<string, unknown>
export type EventSink = (name: string, fields?: EventFields, level?: LogLevel) => void

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export interface EventLogInit {
  /** Lowest level printed to stderr (the file gets info and above). */
  level: LogLevel
  /** File that receives every event at info or above; truncated at start. */
  file?: string
  /** Where lines go instead of stderr (tests). */
  write?: (line: string) => void
}

export function createEventLog(init: EventLogInit): EventSink {
  const write = init.write ?? ((line: string) => process.stderr.write(line))
  if (init.file !== undefined) writeFileSync(init.file, '', { mode: 0o600 })
  return (name, fields = {}, level = 'info') => {
    const line = `${JSON.stringify(Object.assign({ ts: new Date().toISOString(), level, event: name }, fields, { event: name }))}\n`
    if (RANK[level] <= RANK[init.level]) write(line)
    if (init.file !== undefined && RANK[level] <= RANK.info) appendFileSync(init.file, line)
  }
}

/**
 * The shard's libp2p ComponentLogger: js-libp2p's debug loggers, except that errors the circuit-relay
 * server and the connection monitor log are also reported through `onError`. The stock server answers
 * any failure while handling a hop request (a read that timed out, a reset stream, a throwing hook) with
 * MALFORMED_MESSAGE and names the cause only in its debug log, which is off in workerd; the monitor drops
 * a peer whose ping went unanswered (its reservation and circuits with it) and says so only there too.
 * This puts both in the shard's JSON log.
 *
 * @example
 * ```ts
 * createLibp2p({ logger: relayLogger((context, err) => console.log(JSON.stringify({ context, err: String(err) }))) })
 * ```
 */
import type { ComponentLogger, Logger } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'

const REPORTED_COMPONENTS = ['libp2p:circuit-relay:server', 'libp2p:connection-monitor']

export type LogErrorSink = (context: string, err: unknown) => void

export function relayLogger(onError: LogErrorSink, base: ComponentLogger = defaultLogger()): ComponentLogger {
  return {
    forComponent(name: string): Logger {
      const log = base.forComponent(name)
      return REPORTED_COMPONENTS.some((c) => name.startsWith(c)) ? reporting(log, name, onError) : log
    },
  }
}

/** Errors from other bundles or realms are not `instanceof Error`: recognise them by shape. */
function isErrorLike(x: unknown): x is { message: string } {
  return typeof (x as { message?: unknown } | null)?.message === 'string'
}

/** debug-style `%p %s %e %a ...` placeholders filled in order (`%%` is a literal percent sign). */
function format(formatter: unknown, args: unknown[]): string {
  let next = 0
  return String(formatter).replace(/%[a-zA-Z%]/g, (m) => {
    if (m === '%%') return '%'
    if (next >= args.length) return m
    const arg = args[next++]
    return isErrorLike(arg) ? arg.message : String(arg)
  })
}

function reporting(log: Logger, name: string, onError: LogErrorSink): Logger {
  const out = ((formatter: unknown, ...args: unknown[]) => log(formatter, ...args)) as Logger
  out.error = (formatter: unknown, ...args: unknown[]) => {
    log.error(formatter, ...args)
    // context stays the format string (stable, groupable); the message carries peer IDs and the cause
    const cause = args.find(isErrorLike)
    onError(`${name}: ${String(formatter)}`, new Error(format(formatter, args), { cause }))
  }
  out.trace = (formatter: unknown, ...args: unknown[]) => log.trace(formatter, ...args)
  Object.defineProperty(out, 'enabled', { get: () => log.enabled })
  out.newScope = (scope: string) => reporting(log.newScope(scope), `${name}:${scope}`, onError)
  return out
}

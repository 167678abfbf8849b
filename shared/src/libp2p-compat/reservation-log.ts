/**
 * The client side of circuit-relay-v2 (its transport's reservation store) reports why a relay refused
 * a reservation only in a log line: `could not reserve slot on %p after %dms - %e` on the component
 * logger `libp2p:circuit-relay:transport:reservation-store`. This wraps a ComponentLogger so that
 * line also reaches `onError(relayPeerId, message)`; everything is still logged as before. Used by
 * the browser peer. Contract test: reservation-log.test.ts (the component name and format are in the
 * installed source, and a real log call reaches `onError`).
 */
import type { ComponentLogger } from '@libp2p/interface'

export const RESERVATION_STORE_COMPONENT = 'libp2p:circuit-relay:transport:reservation-store'
export const RESERVATION_FAILED_FORMAT = 'could not reserve slot on %p after %dms - %e'

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err)
}

export function reservationErrorLogger(
  base: ComponentLogger,
  onError: (relay: string, message: string) => void,
): ComponentLogger {
  return {
    forComponent(name: string) {
      const log = base.forComponent(name)
      if (name !== RESERVATION_STORE_COMPONENT) return log
      const error = log.error.bind(log)
      log.error = (fmt: unknown, ...args: unknown[]) => {
        if (fmt === RESERVATION_FAILED_FORMAT) onError(String(args[0]), messageOf(args[2]))
        error(fmt, ...args)
      }
      return log
    },
  }
}

/**
 * `window.edgeswarm`: a small, stable hook for Playwright tests and benches (and the curious, from the
 * console). Everything returns plain JSON-able values.
 *
 * @example
 * ```js
 * await edgeswarm.ready
 * await edgeswarm.dial('12D3Koo…', { direct: true })
 * const r = await edgeswarm.send('12D3Koo…', 1 << 20) // { sha256, remoteSha256, match, path, ... }
 * ```
 */
import type { BrowserApp } from './app.ts'
import { resetIdentity } from './identity.ts'
import type { EdgeswarmHook } from './types.ts'

export function installHook(app: BrowserApp): EdgeswarmHook {
  const hook: EdgeswarmHook = {
    ready: app.ready,
    get peerId() {
      return app.node?.peerId.toString()
    },
    state: () => app.snapshot(),
    dial: (peerId, opts) => app.dial(peerId, opts),
    send: (peerId, size, opts) => app.send(peerId, size, opts),
    received: () => app.core?.transfers.received() ?? [],
    events: () => [...app.events.events],
    service: (name) => app.services?.get(name),
    resetIdentity: () => {
      resetIdentity()
      app.events.sink('identity.reset', {})
      location.reload()
    },
  }
  ;(globalThis as unknown as { edgeswarm: EdgeswarmHook }).edgeswarm = hook
  return hook
}

/**
 * Counts the isolate's active JavaScript timers (setTimeout not yet fired or cleared, setInterval not
 * cleared), for the shard's stats: workerd allows 10,000 per isolate, the budget that bounds how many
 * connections (and services) a shard can carry. Installed once per isolate by wrapping the globals;
 * `AbortSignal.timeout` and runtime-internal timers are not seen.
 *
 * @example
 * ```ts
 * installTimerCount()
 * activeTimers() // e.g. 412
 * ```
 */
const active = new Set<unknown>()
let installed = false

export function installTimerCount(): void {
  if (installed) return
  installed = true
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>
  const { setTimeout: st, setInterval: si, clearTimeout: ct, clearInterval: ci } = g
  g.setTimeout = (fn: unknown, ...rest: unknown[]) => {
    const id: unknown = st!(
      (...args: unknown[]) => {
        active.delete(id)
        if (typeof fn === 'function') fn(...args)
      },
      ...rest,
    )
    active.add(id)
    return id
  }
  g.setInterval = (...args: unknown[]) => {
    const id = si!(...args)
    active.add(id)
    return id
  }
  g.clearTimeout = (id: unknown) => {
    active.delete(id)
    return ct!(id)
  }
  g.clearInterval = (id: unknown) => {
    active.delete(id)
    return ci!(id)
  }
}

/** Active timers counted since installTimerCount(). */
export function activeTimers(): number {
  return active.size
}

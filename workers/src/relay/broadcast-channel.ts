/**
 * workerd has no `BroadcastChannel`; mortice (the peer store's lock) constructs one at import/start.
 * A shard is a single isolate, so cross-context messaging is never needed: a no-op stand-in suffices.
 */
class NoopBroadcastChannel extends EventTarget {
  readonly name: string
  onmessage: ((ev: unknown) => void) | null = null
  onmessageerror: ((ev: unknown) => void) | null = null

  constructor(name: string) {
    super()
    this.name = name
  }

  postMessage(_message: unknown): void {}

  close(): void {}
}

export function installBroadcastChannelStub(): void {
  const g = globalThis as { BroadcastChannel?: unknown }
  if (g.BroadcastChannel === undefined) g.BroadcastChannel = NoopBroadcastChannel
}

/**
 * The JSON shapes the page shows and `window.edgeswarm` returns. DOM-free on purpose: the Playwright
 * tests and benches (Node type-checking) import these without pulling in the browser's sources.
 * Paths, relays, transfers and events use the peer core's types (shared/src/peer), the same the
 * node's control API answers with.
 */
import type { PathChoice } from '#shared/peer/classify.ts'
import type { StampedEvent } from '#shared/peer/events.ts'
import type { ConnectionView } from '#shared/peer/path-manager.ts'
import type { RelayStatus } from '#shared/peer/reservations.ts'
import type { SendReport, TransferRecord } from '#shared/peer/transfer.ts'
import type { BootstrapPeer } from '#shared/protocol/bootstrap.ts'

export type { PathChoice, PathKind } from '#shared/peer/classify.ts'
export type { StampedEvent } from '#shared/peer/events.ts'
export type { RelayStatus } from '#shared/peer/reservations.ts'
export type { SendReport, TransferRecord } from '#shared/peer/transfer.ts'

export interface Snapshot {
  peerId?: string
  identityCreated?: boolean
  webrtc: { available: boolean; error?: string }
  bootstrap: { ok: boolean; error?: string; retryAt?: number; network?: string; private?: boolean }
  relays: RelayStatus[]
  links: LinkInfo[]
  /** Peers the bootstrap document lists (reachable through the relays), without ourselves. */
  known: BootstrapPeer[]
  reachability: string
  errors: string[]
}

export interface DialOptions {
  /** Wait until a verified direct link exists (or fail). @default false */
  direct?: boolean
  /** How long to wait (ms). @default DEFAULT_BROWSER_DIAL_WAIT_MS */
  timeoutMs?: number
}

/** What a remote peer is, judged from identify's agent version. */
export type PeerRole = 'relay' | 'browser' | 'node' | 'peer'

export interface LinkInfo extends ConnectionView {
  /** The remote is one of the edge's relay shards (or a super-peer we reserve on). */
  toRelay: boolean
  /** What the remote is, from its identify agent version: a browser tab, a Node peer, a relay shard. */
  role: PeerRole
  label: string
}

export interface SendOptions {
  /** Which path to use. @default 'any' */
  path?: PathChoice
  /** Bound on the whole transfer (ms). @default DEFAULT_TRANSFER_TIMEOUT_MS */
  timeoutMs?: number
}

export interface EdgeswarmHook {
  ready: Promise<void>
  readonly peerId: string | undefined
  state(): Snapshot
  dial(peerId: string, opts?: DialOptions): Promise<LinkInfo>
  /** Sends `size` random bytes; resolves with both SHA-256 digests and the path the bytes took. */
  send(peerId: string, size: number, opts?: SendOptions): Promise<SendReport>
  received(): TransferRecord[]
  events(): StampedEvent[]
  /** Drops the stored identity and reloads the page with a new peer ID. */
  resetIdentity(): void
  /** The API of an overlay service (shared/src/services) once the peer runs, e.g. `service('pubsub')`. */
  service<T = unknown>(name: string): T | undefined
}

/**
 * The JSON shapes the page shows and `window.edgeswarm` returns. DOM-free on purpose: the Playwright
 * tests and benches (Node type-checking) import these without pulling in the browser's sources.
 */
import type { BootstrapPeer } from '../../shared/src/protocol/bootstrap.ts'
import type { StampedEvent } from './events.ts'
import type { PathInfo } from './paths.ts'

export type { StampedEvent } from './events.ts'
export type { PathInfo, PathKind } from './paths.ts'

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
  /** Wait until a verified direct WebRTC link exists (or fail). @default false */
  direct?: boolean
  timeoutMs?: number
}

/** What a remote peer is, judged from identify's agent version. */
export type PeerRole = 'relay' | 'browser' | 'node' | 'peer'

export interface LinkInfo extends PathInfo {
  id: string
  peer: string
  direction: 'inbound' | 'outbound'
  remoteAddr: string
  /** Traffic crossed this connection (a ping echoed); undefined while the first ping is out. */
  verified?: boolean
  rttMs?: number
  openedAt: number
  /** The remote is one of the edge's relay shards. */
  toRelay: boolean
  /** What the remote is, from its identify agent version: a browser tab, a Node peer, a relay shard. */
  role: PeerRole
  label: string
}

export type RelayState = 'idle' | 'connecting' | 'connected' | 'reserved' | 'refused' | 'unreachable'

export interface RelayStatus {
  shard: string
  peerId: string
  addrs: string[]
  /** We keep a reservation here (true) or only use it to reach peers (false). */
  wanted: boolean
  state: RelayState
  reason?: string
  retryAt?: number
  /** Time from page load to the reservation (ms). */
  reservedAfterMs?: number
}

export interface SendOptions {
  /** Which path to use: the best one, only a verified direct link, or only the relay. @default 'auto' */
  path?: 'auto' | 'direct' | 'relay'
  timeoutMs?: number
}

export interface SendReport {
  peer: string
  bytes: number
  /** SHA-256 of what we sent and what the receiver computed (hex). */
  sha256: string
  remoteSha256: string
  ok: boolean
  /** 'direct' (WebRTC that carried these bytes) or 'relayed'. */
  path: 'direct' | 'relayed'
  label: string
  shard?: string
  ms: number
  mbPerSecond: number
}

export interface ReceiveRecord {
  from: string
  bytes: number
  sha256: string
  complete: boolean
  path: 'direct' | 'relayed'
  label: string
  at: number
}

export interface EdgeswarmHook {
  ready: Promise<void>
  readonly peerId: string | undefined
  state(): Snapshot
  dial(peerId: string, opts?: DialOptions): Promise<LinkInfo>
  /** Sends `size` random bytes; resolves with both SHA-256 digests and the path the bytes took. */
  send(peerId: string, size: number, opts?: SendOptions): Promise<SendReport>
  received(): ReceiveRecord[]
  events(): StampedEvent[]
  /** Drops the stored identity and reloads the page with a new peer ID. */
  resetIdentity(): void
  /** The API of an overlay service (shared/src/services) once the peer runs, e.g. `service('pubsub')`. */
  service<T = unknown>(name: string): T | undefined
}

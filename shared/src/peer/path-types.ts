/** The path manager's options and views (path-manager.ts), apart so the class stays readable. */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Backoff } from './backoff.ts'
import type { PathKind } from './classify.ts'
import type { PeerEvents } from './events.ts'

export interface PathManagerInit {
  node: Libp2p
  events: PeerEvents
  /** This runtime can do WebRTC (a browser without RTCPeerConnection cannot). */
  webrtc: boolean
  /** Relay shard name for a relay peer ID (undefined for super-peers and unknown relays). */
  shardOf: (relayPeerId: string) => string | undefined
  /** True for relays we hold reservations with: never "upgraded", never counted as peers. */
  isRelayPeer: (peerId: string) => boolean
  /** Whether a direct address is worth dialling (public, or in --public-cidr). */
  isPublicAddr: (addr: Multiaddr) => boolean
  /** Circuit addresses to reach `peer` through our relays (for falling back to the relay). */
  circuitAddrsFor: (peer: PeerId) => Multiaddr[]
  /** @default DEFAULT_PATH_VERIFY_TIMEOUT_MS */
  verifyTimeoutMs?: number
  /** @default DEFAULT_UPGRADE_TIMEOUT_MS */
  upgradeTimeoutMs?: number
  /** @default DEFAULT_UPGRADE_ANSWERER_GRACE_MS */
  answererGraceMs?: number
  /** @default DEFAULT_PATH_PING_INTERVAL_MS */
  pingIntervalMs?: number
  /** Measures a connection's RTT by traffic (tests stub it). @default pingConnection */
  probe?: (conn: Connection, timeoutMs: number) => Promise<number>
  /** Called when a direct connection proved it carries traffic. */
  onVerified?: (conn: Connection) => void
}

export interface ConnState {
  verified?: boolean
  rttMs?: number
  checking?: Promise<boolean>
  failures: number
}

export interface PeerUpgrade {
  backoff: Backoff
  timer?: ReturnType<typeof setTimeout>
  running?: Promise<void>
  /** Last reason a direct path failed (shown on the page), cleared once one works. */
  error?: string
  /** When `error` was set (ms): the page shows the most recent failures first. */
  errorAt?: number
  /** When the relayed connection opened (for `path.direct`'s `afterMs`). */
  relayedAt?: number
  /** How long identify took on the relayed connection (ms): a round-trip estimate before any ping. */
  identifyMs?: number
  /** The last direct attempt: when it began and how long its dial took (for `path.direct`). */
  attempt?: { startedAt: number; dialMs?: number; phases?: Record<string, number> }
  /** Wake as soon as a direct path verified (a waiting answerer, `whenDirect` callers). */
  waiters: Set<() => void>
  /** Also woken when a direct connection failed its check (an answerer's grace: try ourselves now). */
  graceWaiters: Set<() => void>
  /** Woken when an upgrade attempt ends, whatever its outcome (`whenSettled` callers). */
  settledWaiters: Set<() => void>
}

export interface ConnectionView {
  peer: string
  id: string
  path: PathKind
  shard?: string
  relay?: string
  remoteAddr: string
  direction: 'inbound' | 'outbound'
  /** True once traffic crossed it (direct), false when it failed the check, absent while unknown. */
  verified?: boolean
  rttMs?: number
  /** When it opened (epoch ms). */
  openedAt: number
}

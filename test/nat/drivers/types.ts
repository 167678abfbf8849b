/**
 * What runPair needs from a peer implementation running in a lab home: the edgeswarm daemon (the
 * thing under test) or the stock js-libp2p baseline (the bench's comparison).
 */
import type { LabEdge } from '../edge.ts'
import type { Home, Lab } from '../lab.ts'

export type PathKind = 'direct-webrtc' | 'direct-tcp' | 'direct-ws' | 'relayed'

export interface SendOutcome {
  /** Path the bytes took, as the sender reports it. */
  path: PathKind
  /** Relay shard the bytes crossed (relayed paths, when the peer says). */
  shard?: string
  bytes: number
  /** Hex SHA-256 of what the sender sent. */
  sha256: string
  /** Hex SHA-256 the receiver computed and answered. */
  remoteSha256: string
  /** Dial (or stream open) time before the first byte, ms. */
  dialMs: number
  transferMs: number
}

export interface ReceiveRecord {
  from: string
  bytes: number
  sha256: string
  path: PathKind
}

export interface LabPeer {
  peerId: string
  home: Home
  /** Its persistent state directory (restart with the same one to keep the identity). */
  dataDir: string
  /** Relay shards it currently holds reservations on. */
  shards: () => string[]
  /** Process start to first relay reservation, ms (measured by the peer's own clock when it can). */
  reservedMs: number
  /** Opens a connection to `to` by peer ID (through the bootstrap / relay) and proves it with a ping. */
  connect: (to: LabPeer) => Promise<{ path: PathKind; dialMs: number }>
  /** Waits until the connection to `to` is direct and carried traffic; undefined after `timeoutMs`. */
  waitDirect: (to: LabPeer, timeoutMs: number) => Promise<DirectUpgrade | undefined>
  send: (to: LabPeer, bytes: number) => Promise<SendOutcome>
  /** What this peer received from `from` (the receiver's own digest), once it has. */
  received: (from: LabPeer, timeoutMs?: number) => Promise<ReceiveRecord>
  /** Everything the process printed, for failure messages. */
  output: () => string
  stop: () => Promise<void>
}

export interface PeerStartOptions {
  lab: Lab
  edge: LabEdge
  home: Home
  /** Persistent state directory (identity); reuse it to restart the same peer. */
  dataDir: string
}

export interface PeerDriver {
  name: string
  start: (opts: PeerStartOptions) => Promise<LabPeer>
}

/** Relayed -> verified direct: the path, the time, and (our daemon) where the time went. */
export interface DirectUpgrade {
  path: PathKind
  upgradeMs: number
  /** ms after the relayed connection opened: the attempt began, its dial ended (`path.direct`) */
  startMs?: number
  dialMs?: number
  /** ms into the WebRTC dial at which each step first happened (`path.direct`'s `phases`) */
  phases?: Record<string, number>
}

/**
 * The one vocabulary of paths. A connection's path, from its remote multiaddr: `direct-webrtc` (UDP,
 * hole punched or LAN), `direct-tcp`, `direct-ws`, or `relayed` through a relay (an edge shard or a
 * super-peer). WebRTC is checked first: the dialling side's WebRTC address is the circuit address it
 * signalled over plus `/webrtc`. Whether a direct path really carries traffic is judged by a ping
 * (path-manager.ts), never here. What a caller asks for is a `PathChoice`.
 */
import type { Multiaddr } from '@multiformats/multiaddr'

export type PathKind = 'direct-webrtc' | 'direct-tcp' | 'direct-ws' | 'relayed'

/** Which path a send, ping or dial may take: the best one, only a verified direct one, or only the relay. */
export type PathChoice = 'any' | 'direct' | 'relayed'

export const PATH_CHOICES: readonly PathChoice[] = ['any', 'direct', 'relayed']

export interface PathInfo {
  kind: PathKind
  /** Peer ID of the relay for relayed paths. */
  relay?: string
}

export function classifyAddr(addr: Multiaddr): PathInfo {
  const parts = addr.getComponents()
  const names = parts.map((c) => c.name)
  if (names.includes('webrtc') || names.includes('webrtc-direct')) return { kind: 'direct-webrtc' }
  const circuit = names.indexOf('p2p-circuit')
  if (circuit >= 0) {
    const relay = parts
      .slice(0, circuit)
      .reverse()
      .find((c) => c.name === 'p2p')?.value
    return relay === undefined ? { kind: 'relayed' } : { kind: 'relayed', relay }
  }
  if (names.includes('ws') || names.includes('wss') || names.includes('tls')) return { kind: 'direct-ws' }
  return { kind: 'direct-tcp' }
}

export function isRelayed(addr: Multiaddr): boolean {
  return classifyAddr(addr).kind === 'relayed'
}

/** What relays a path, for its label: an edge shard (`shard`), a home super-peer, or some other peer. */
export interface PathLabelInput {
  path: PathKind
  shard?: string
  relay?: string
  verified?: boolean
  superPeer?: boolean
}

/** Human label of a path, e.g. `direct-webrtc`, `relayed via shard 1`, `relayed via super-peer 12D3...`. */
export function pathLabel(v: PathLabelInput): string {
  if (v.path !== 'relayed') return v.verified === false ? `${v.path} (no traffic)` : v.path
  if (v.shard !== undefined) return `relayed via shard ${v.shard}`
  return `relayed via ${v.superPeer === true ? 'super-peer' : 'peer'} ${v.relay ?? 'unknown'}`
}

export function parsePathChoice(raw: unknown): PathChoice | undefined {
  const v = raw ?? 'any'
  return PATH_CHOICES.includes(v as PathChoice) ? (v as PathChoice) : undefined
}

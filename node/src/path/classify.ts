/**
 * Names the path a connection takes, from its remote multiaddr:
 * `direct-webrtc` (UDP, hole punched or LAN), `direct-tcp`, `direct-ws`, or `relayed` through a relay
 * (an edge shard or a super-peer). WebRTC is checked first: the dialling side's WebRTC address is the
 * circuit address it signalled over plus `/webrtc`.
 */
import type { Multiaddr } from '@multiformats/multiaddr'

export type PathKind = 'direct-webrtc' | 'direct-tcp' | 'direct-ws' | 'relayed'

export interface PathInfo {
  kind: PathKind
  /** Peer ID of the relay for relayed paths. */
  relay?: string
}

export function classifyAddr(addr: Multiaddr): PathInfo {
  const parts = addr.getComponents()
  const names = parts.map((c) => c.name)
  if (names.includes('webrtc')) return { kind: 'direct-webrtc' }
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

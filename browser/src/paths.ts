/**
 * What a connection is: a direct WebRTC link, a circuit through a relay (which shard), or a plain
 * WebSocket (to a relay shard itself or a publicly reachable node). Judged from the remote address;
 * whether a WebRTC link is really direct is judged by traffic (links.ts), not here.
 */
import type { Connection } from '@libp2p/interface'

export type PathKind = 'webrtc' | 'relayed' | 'websocket' | 'other'

export interface PathInfo {
  kind: PathKind
  /** The relay carrying (or having signalled) the connection. */
  relayPeer?: string
  /** The relay's shard name when it is one of the edge's shards. */
  shard?: string
}

function relayOf(addr: string): string | undefined {
  const i = addr.indexOf('/p2p-circuit')
  if (i < 0) return undefined
  const m = /\/p2p\/([^/]+)$/.exec(addr.slice(0, i))
  return m?.[1]
}

export function classify(
  conn: Pick<Connection, 'remoteAddr'>,
  shardOf: (peer: string) => string | undefined,
): PathInfo {
  const addr = conn.remoteAddr.toString()
  const relayPeer = relayOf(addr)
  const shard = relayPeer === undefined ? undefined : shardOf(relayPeer)
  const via = { ...(relayPeer === undefined ? {} : { relayPeer }), ...(shard === undefined ? {} : { shard }) }
  if (/\/webrtc(-direct)?(\/|$)/.test(addr)) return { kind: 'webrtc', ...via }
  if (relayPeer !== undefined) return { kind: 'relayed', ...via }
  if (/\/(ws|wss|tls\/ws)(\/|$)/.test(addr)) return { kind: 'websocket' }
  return { kind: 'other' }
}

/** Human label of a path, e.g. "direct WebRTC" or "relayed via shard 1". */
export function pathLabel(p: PathInfo, verified: boolean | undefined): string {
  if (p.kind === 'webrtc') return verified === true ? 'direct WebRTC' : 'WebRTC (unverified)'
  if (p.kind === 'relayed')
    return `relayed via ${p.shard !== undefined ? `shard ${p.shard}` : `relay ${p.relayPeer?.slice(-6)}`}`
  if (p.kind === 'websocket') return 'WebSocket'
  return 'other'
}

/**
 * The two ways the path manager (path-manager.ts) tries to go direct: dialling the peer's public
 * TCP/WS addresses, and WebRTC signalled over the relayed connection (ICE does the hole punch). Each
 * answers the new connection (not yet verified by traffic) or the reason it failed, in words a user can
 * act on (shown by `status`, the page and `path.relay-fallback`).
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { toError } from '../errors.ts'
import { transportManagerOf } from '../libp2p-compat/components.ts'
import { classifyAddr, isRelayed } from './classify.ts'

/** A connection, a reason string on failure, undefined when the peer has no public address. */
export async function dialPublicAddrs(
  node: Libp2p,
  peer: PeerId,
  isPublicAddr: (a: Multiaddr) => boolean,
  timeoutMs: number,
): Promise<Connection | string | undefined> {
  const stored = await node.peerStore.get(peer).catch(() => undefined)
  const addrs = (stored?.addresses ?? [])
    .map((a) => a.multiaddr)
    .filter((a) => classifyAddr(a).kind === 'direct-tcp' || classifyAddr(a).kind === 'direct-ws')
    .filter((a) => isPublicAddr(a))
    .map((a) => (a.getComponents().some((c) => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${peer}`)))
  if (addrs.length === 0) return undefined
  try {
    const conn = await node.dial(addrs, { signal: AbortSignal.timeout(timeoutMs), force: true })
    return isRelayed(conn.remoteAddr) ? 'direct dial returned a relayed connection' : conn
  } catch (err) {
    return `direct dial to public addresses failed: ${firstLine(err)}`
  }
}

/**
 * A WebRTC connection signalled through the relay of `relayed`, or the reason it failed. `phases`
 * receives when (ms after the dial began) each step @libp2p/webrtc reports happened the first time:
 * `open-signaling-stream`, `send-sdp-offer`, `read-sdp-answer`, `read-ice-candidates` (ICE until
 * connected), `close-signaling-stream` (data channel up), then the connection upgrade (noise, muxer).
 */
export async function dialWebRTC(
  node: Libp2p,
  peer: PeerId,
  relayed: Connection,
  timeoutMs: number,
  phases: Record<string, number> = {},
): Promise<Connection | string> {
  const t0 = Date.now()
  const onProgress = (evt: { type: string }) => {
    if (!evt.type.startsWith('webrtc:')) return
    const step = evt.type.slice('webrtc:'.length)
    phases[step] ??= Date.now() - t0
  }
  const circuit = relayed.remoteAddr.toString()
  const base = circuit.slice(0, circuit.indexOf('/p2p-circuit') + '/p2p-circuit'.length)
  let target: Multiaddr
  try {
    target = multiaddr(`${base}/webrtc/p2p/${peer}`)
  } catch (err) {
    return `cannot build a WebRTC address from ${circuit}: ${firstLine(err)}`
  }
  try {
    // through the transport manager, not node.dial: libp2p's dial queue would make every other dial to
    // this peer (a reconnect through another relay when this one dies) join this attempt and wait up to
    // `timeoutMs` for it (libp2p-compat/components.ts)
    const conn = await transportManagerOf(node).dial(target, {
      signal: AbortSignal.timeout(timeoutMs),
      onProgress,
    })
    phases.connected = Date.now() - t0
    if (isRelayed(conn.remoteAddr)) return `WebRTC dial returned a relayed connection (${conn.remoteAddr})`
    return conn
  } catch (err) {
    const message = firstLine(err)
    if (message.includes('/webrtc-signaling/'))
      return 'the peer does not speak WebRTC (no /webrtc-signaling/0.0.1)'
    if (message === 'signal timed out') {
      return 'ICE did not connect (UDP blocked, no usable candidates, or no TURN server)'
    }
    return `WebRTC upgrade failed: ${message}`
  }
}

export function firstLine(err: unknown): string {
  return toError(err).message.split('\n')[0]!
}

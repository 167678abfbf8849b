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
  abort?: AbortSignal,
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
    const timeout = AbortSignal.timeout(timeoutMs)
    const conn = await transportManagerOf(node).dial(target, {
      signal: abort === undefined ? timeout : AbortSignal.any([timeout, abort]),
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

/**
 * `dialWebRTC`, with a second attempt when the first has not connected after `hedgeMs`: libdatachannel
 * (node-datachannel) drops a DTLS flight that reaches a peer whose ICE is not connected yet and resends
 * it only after OpenSSL's fixed 1 s timer, which nothing here can shorten (docs/NOTES.md, "NAT, DCUtR
 * and WebRTC"); a fresh attempt has its own handshake. The first connection wins, the other attempt is
 * aborted (or closed, had it connected too). The reason of the first failure when both fail.
 * `phases` gets the winner's steps (ms after the first attempt began) and, when hedged, `hedgedAt` and
 * `winner` (1 or 2).
 */
export function dialWebRTCHedged(
  node: Libp2p,
  peer: PeerId,
  relayed: Connection,
  timeoutMs: number,
  hedgeMs: number,
  phases: Record<string, number> = {},
): Promise<Connection | string> {
  const t0 = Date.now()
  const attempts: Array<{ stop: AbortController; phases: Record<string, number>; offset: number }> = []
  return new Promise((resolve) => {
    let won = false
    let failed = 0
    let firstError: string | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const start = () => {
      const a = { stop: new AbortController(), phases: {} as Record<string, number>, offset: Date.now() - t0 }
      attempts.push(a)
      void dialWebRTC(node, peer, relayed, timeoutMs - a.offset, a.phases, a.stop.signal).then((r) => {
        if (typeof r !== 'string') {
          if (won) {
            // the other attempt connected first: this one is not needed
            void Promise.resolve(r.close()).catch(() => {})
            return
          }
          won = true
          clearTimeout(timer)
          for (const other of attempts) if (other !== a) other.stop.abort()
          for (const [k, v] of Object.entries(a.phases)) phases[k] = v + a.offset
          if (attempts.length > 1) phases.winner = attempts.indexOf(a) + 1
          resolve(r)
          return
        }
        failed++
        firstError ??= r
        // every attempt begun has failed: a first one that failed before the hedge (no WebRTC on the
        // peer, ICE failed) ends it, as a second attempt would meet the same network
        if (!won && failed === attempts.length) {
          clearTimeout(timer)
          resolve(firstError)
        }
      })
    }
    start()
    timer = setTimeout(() => {
      if (won || failed > 0) return
      phases.hedgedAt = Date.now() - t0
      start()
    }, hedgeMs)
  })
}

export function firstLine(err: unknown): string {
  return toError(err).message.split('\n')[0]!
}

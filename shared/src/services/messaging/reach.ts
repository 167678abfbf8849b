/**
 * How a direct message reaches an online peer: over a connection that is already open (direct ones
 * first), else by dialling explicit addresses — the peer store's, the bootstrap document's listing, and
 * a circuit address through every relay the document names (a peer keeps reservations on the shards).
 *
 * Two traps this module exists to avoid, both measured:
 * - Path by substring: the WebRTC connection a peer dials has the circuit it was signalled over as its
 *   remote address (`.../p2p-circuit/webrtc/p2p/<peer>`), so `includes('/p2p-circuit')` called it
 *   relayed and a message went over the relay next to a working direct path. The peer core's
 *   classify.ts is the one vocabulary of paths.
 * - Dialling by peer ID alone: libp2p then asks its peer routing (kad-dht, once the routing service
 *   runs) for addresses of a peer it has none for, and that walk ran until the message's whole deadline,
 *   so a relay-only recipient that was online got its message in the mailbox.
 *
 * @example
 * ```ts
 * const conns = openByPreference(node, peer) // [direct..., relayed...]
 * const conn = conns[0] ?? (await node.dial(await candidateAddrs(node, peer, doc), { signal }))
 * ```
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { isRelayed } from '../../peer/classify.ts'
import type { BootstrapDocument } from '../../protocol/bootstrap.ts'

/** Open connections to `peer`: direct ones (TCP, WS, WebRTC) first, then relayed ones. */
export function openByPreference(node: Libp2p, peer: PeerId): Connection[] {
  const open = node.getConnections(peer).filter((c) => c.status === 'open')
  return [...open.filter((c) => !isRelayed(c.remoteAddr)), ...open.filter((c) => isRelayed(c.remoteAddr))]
}

/** `direct` or `relayed`, as a delivery receipt reports the connection a message crossed. */
export function pathOf(conn: Connection): 'direct' | 'relayed' {
  return isRelayed(conn.remoteAddr) ? 'relayed' : 'direct'
}

/**
 * Addresses to dial `peer` at, each ending in `/p2p/<peer>`: what the peer store knows, what the
 * bootstrap document lists for it, and `<relay>/p2p-circuit/p2p/<peer>` through each listed relay and
 * super-peer. `/webrtc` addresses are left out (they need a relayed connection to signal over first;
 * the path manager upgrades that one).
 */
export async function candidateAddrs(
  node: Libp2p,
  peer: PeerId,
  doc: BootstrapDocument | undefined,
): Promise<Multiaddr[]> {
  const id = peer.toString()
  const stored = await node.peerStore.get(peer).catch(() => undefined)
  const relays = [...(doc?.relays ?? []), ...(doc?.superPeers ?? [])].filter((r) => r.peerId !== id)
  const all = [
    ...(stored?.addresses ?? []).map((a) => a.multiaddr.toString()),
    ...(doc?.peers.find((p) => p.peerId === id)?.addrs ?? []),
    ...relays.flatMap((r) => r.addrs.map((a) => `${a}/p2p-circuit`)),
  ]
    .filter((a) => !a.includes('/webrtc'))
    .map((a) => (a.endsWith(`/p2p/${id}`) ? a : `${a}/p2p/${id}`))
  return [...new Set(all)].map((a) => multiaddr(a))
}

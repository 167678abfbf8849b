/**
 * Which connected peers a shard reports as home super-peers (`ShardStats.superPeers`, listed by the
 * bootstrap API): peers that advertise circuit-relay-v2 hop in their own identify (not the peer store,
 * which also lists every protocol a peer opened a stream with: a reservation request is a hop stream) and have
 * direct (non-circuit) listen addresses.
 *
 * Anti-abuse rule: an address is listed only when its IP is the IP this shard sees the peer's own
 * WebSocket connection come from (the Worker's `x-edgeswarm-client-ip`, kept as the connection's
 * remoteAddr by transport.ts). Identify's listen addresses are the peer's word; without the rule anyone
 * could make the edge advertise someone else's host. A peer behind NAT announces private addresses and
 * connects from its router's address, so it is (rightly) not listed either.
 *
 * @example
 * ```ts
 * listedAddrs(peerId, ['/ip4/203.0.113.7/tcp/4001/ws'], new Set(['203.0.113.7']))
 * // ['/ip4/203.0.113.7/tcp/4001/ws/p2p/<peerId>']
 * ```
 */
import { multiaddr } from '@multiformats/multiaddr'
import { RELAY_HOP_PROTOCOL } from '#shared/constants.ts'

/** Most super-peers one shard reports: the bootstrap document only needs a few per shard. */
export const MAX_SHARD_SUPER_PEERS = 16
/** Most addresses listed per super-peer. */
export const MAX_SUPER_PEER_ADDRS = 8

const UNSPECIFIED = new Set(['0.0.0.0', '::'])

/** The IP of a multiaddr's first component (`/ip4` or `/ip6`), normalised; undefined for DNS and others. */
export function ipOf(addr: string): string | undefined {
  let first: { name: string; value?: string | undefined } | undefined
  try {
    first = multiaddr(addr).getComponents()[0]
  } catch {
    return undefined
  }
  if (first === undefined || (first.name !== 'ip4' && first.name !== 'ip6') || first.value === undefined) {
    return undefined
  }
  const ip = first.value.toLowerCase()
  // an IPv4 client seen on a dual-stack socket: multiaddr renders ::ffff:a.b.c.d as ::ffff:xxxx:yyyy
  const dotted = /^::ffff:([0-9]{1,3}(\.[0-9]{1,3}){3})$/.exec(ip)
  if (dotted !== null) return dotted[1]
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip)
  if (hex === null) return ip
  const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)]
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
}

/**
 * `peerId`'s direct listen addresses whose IP is one of `connectionIps`, each ending in `/p2p/<peerId>`
 * (addresses naming another peer are dropped), at most MAX_SUPER_PEER_ADDRS.
 */
export function listedAddrs(
  peerId: string,
  listenAddrs: readonly string[],
  connectionIps: ReadonlySet<string>,
): string[] {
  const suffix = `/p2p/${peerId}`
  const out = new Set<string>()
  for (const raw of listenAddrs) {
    if (raw.includes('/p2p-circuit')) continue
    const ip = ipOf(raw)
    if (ip === undefined || UNSPECIFIED.has(ip) || !connectionIps.has(ip)) continue
    const addr = raw.includes('/p2p/') ? raw : `${raw}${suffix}`
    if (!addr.endsWith(suffix) || addr.indexOf('/p2p/') !== addr.length - suffix.length) continue
    out.add(addr)
    if (out.size >= MAX_SUPER_PEER_ADDRS) break
  }
  return [...out]
}

/** True when identify told us the peer serves circuit-relay-v2 hop. */
export function offersHop(protocols: readonly string[]): boolean {
  return protocols.includes(RELAY_HOP_PROTOCOL)
}

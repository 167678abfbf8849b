/**
 * Which of an announcer's addresses the edge hands out (the anti-reflection rule of super-peers.ts):
 * - a direct address only when its IP is the IP the announcement came from (so nobody can make the edge
 *   point others at a third party's host);
 * - a circuit address only through one of our own relay shards, rewritten to the shard's published
 *   addresses (`<shard addr>/p2p-circuit/p2p/<peer>`); circuits through anyone else are dropped.
 *
 * @example
 * ```ts
 * vouchedAddrs(peer, ['/ip4/1.2.3.4/tcp/1/ws', '/ip4/.../p2p/<shard0>/p2p-circuit'], '1.2.3.4', shardAddrs)
 * ```
 */
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_ROUTING_RECORD_ADDRS } from '#shared/constants.ts'
import { listedAddrs } from '../relay/super-peers.ts'

/** The peer ID of the relay in a circuit address (`.../p2p/<relay>/p2p-circuit...`), if any. */
export function circuitRelayOf(addr: string): string | undefined {
  try {
    const parts = multiaddr(addr).getComponents()
    const at = parts.findIndex((c) => c.name === 'p2p-circuit')
    const relay = at > 0 ? parts[at - 1] : undefined
    return relay?.name === 'p2p' ? relay.value : undefined
  } catch {
    return undefined
  }
}

/**
 * @param shardAddrs our relay shards' peer IDs → their published multiaddrs (each ending `/p2p/<shard>`)
 */
export function vouchedAddrs(
  peer: string,
  addrs: readonly string[],
  clientIp: string,
  shardAddrs: ReadonlyMap<string, readonly string[]>,
): string[] {
  const out = new Set<string>(listedAddrs(peer, addrs, new Set([clientIp])))
  for (const a of addrs) {
    if (!a.includes('/p2p-circuit')) continue
    const relay = circuitRelayOf(a)
    const published = relay === undefined ? undefined : shardAddrs.get(relay)
    for (const s of published ?? []) out.add(`${s}/p2p-circuit/p2p/${peer}`)
  }
  return [...out].slice(0, MAX_ROUTING_RECORD_ADDRS)
}

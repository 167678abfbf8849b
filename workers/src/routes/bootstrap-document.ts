/**
 * Builds the bootstrap document from the shards' stats (pure: no bindings, testable anywhere). Relays
 * come in shard order; peers are merged across shards (one entry per peer ID, its circuit addresses
 * through every shard it reserved on), shuffled so that joiners spread over the overlay, and cut to `peers`.
 * Super-peers (home nodes offering hop, as the shards report them) are merged the same way.
 */
import { BOOTSTRAP_API_VERSION, MAX_BOOTSTRAP_PEERS, OVERLAY_PROTOCOL } from '#shared/constants.ts'
import { DEFAULT_BOOTSTRAP_PEERS } from '#shared/defaults.ts'
import { InvalidInputError } from '#shared/errors.ts'
import {
  type BootstrapDocument,
  type BootstrapPeer,
  type BootstrapRelay,
  MAX_BOOTSTRAP_ADDRS,
  MAX_BOOTSTRAP_SUPER_PEERS,
} from '#shared/protocol/bootstrap.ts'
import type { ShardStats } from '../objects/shard-contract.ts'

/** `?peers=N`: absent = the default; otherwise a decimal integer in [0, MAX_BOOTSTRAP_PEERS]. */
export function parsePeersParam(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_BOOTSTRAP_PEERS
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) > MAX_BOOTSTRAP_PEERS) {
    throw new InvalidInputError(
      `peers must be an integer in [0, ${MAX_BOOTSTRAP_PEERS}], got ${JSON.stringify(raw.slice(0, 32))}`,
    )
  }
  return Number(raw)
}

/** Uniform random integer in [0, n), from WebCrypto. */
export function randomIndex(n: number): number {
  const [x] = crypto.getRandomValues(new Uint32Array(1))
  return Math.floor((x! / 2 ** 32) * n)
}

/** Fisher-Yates shuffle, in place. */
export function shuffle<T>(items: T[], random: (n: number) => number = randomIndex): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random(i + 1)
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
  return items
}

/** A shard's addresses, each ending in `/p2p/<peerId>` (appended when the shard left it out). */
function relayOf(stats: ShardStats): BootstrapRelay {
  const suffix = `/p2p/${stats.peerId}`
  const addrs = stats.addrs
    .map((a) => (a.includes('/p2p/') ? a : `${a}${suffix}`))
    .filter((a) => a.endsWith(suffix))
  return {
    shard: stats.shard,
    peerId: stats.peerId,
    addrs: [...new Set(addrs)].slice(0, MAX_BOOTSTRAP_ADDRS),
  }
}

function mergePeers(stats: readonly ShardStats[], relayIds: ReadonlySet<string>): BootstrapPeer[] {
  const byId = new Map<string, Set<string>>()
  for (const s of stats) {
    for (const p of s.peers) {
      if (relayIds.has(p.peerId)) continue
      const addrs = byId.get(p.peerId) ?? new Set<string>()
      for (const a of p.addrs) if (a.endsWith(`/p2p/${p.peerId}`)) addrs.add(a)
      byId.set(p.peerId, addrs)
    }
  }
  return [...byId]
    .filter(([, addrs]) => addrs.size > 0)
    .map(([peerId, addrs]) => ({ peerId, addrs: [...addrs].slice(0, MAX_BOOTSTRAP_ADDRS) }))
}

/**
 * Super-peers merged across shards (one entry per peer ID, union of addresses), never a shard, shuffled
 * and cut to MAX_BOOTSTRAP_SUPER_PEERS. Shards list only addresses on the IP the peer connected from.
 */
function mergeSuperPeers(
  stats: readonly ShardStats[],
  relayIds: ReadonlySet<string>,
  random?: (n: number) => number,
): BootstrapPeer[] {
  const byId = new Map<string, Set<string>>()
  for (const s of stats) {
    for (const p of s.superPeers) {
      if (relayIds.has(p.peerId)) continue
      const addrs = byId.get(p.peerId) ?? new Set<string>()
      for (const a of p.addrs) {
        if (a.endsWith(`/p2p/${p.peerId}`) && !a.includes('/p2p-circuit')) addrs.add(a)
      }
      byId.set(p.peerId, addrs)
    }
  }
  const merged = [...byId]
    .filter(([, addrs]) => addrs.size > 0)
    .map(([peerId, addrs]) => ({ peerId, addrs: [...addrs].slice(0, MAX_BOOTSTRAP_ADDRS) }))
  return shuffle(merged, random).slice(0, MAX_BOOTSTRAP_SUPER_PEERS)
}

export interface DocumentInput {
  network: string
  private: boolean
  stun: readonly string[]
  /** Stats of the shards that answered, in shard order. */
  stats: readonly ShardStats[]
  /** Most peers to list. */
  peers: number
  now?: Date
  random?: (n: number) => number
}

export function buildBootstrapDocument(input: DocumentInput): BootstrapDocument {
  const relays = input.stats.map(relayOf).filter((r) => r.addrs.length > 0)
  const relayIds = new Set(relays.map((r) => r.peerId))
  const peers = shuffle(mergePeers(input.stats, relayIds), input.random).slice(0, input.peers)
  return {
    version: BOOTSTRAP_API_VERSION,
    network: input.network,
    protocol: OVERLAY_PROTOCOL,
    private: input.private,
    relays,
    peers,
    superPeers: mergeSuperPeers(input.stats, relayIds, input.random),
    stun: [...input.stun],
    generatedAt: (input.now ?? new Date()).toISOString(),
  }
}

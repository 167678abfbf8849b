/**
 * Schema of the bootstrap document (`GET /v1/bootstrap`), validated on both ends: the worker checks
 * what it builds, peers check what they receive. Hand-written rather than generated: it is small, and
 * this keeps the worker bundle free of a schema library. Every address ends in `/p2p/<its peer ID>`, so a
 * dialler always knows whom it reached; shards and peers are unique; every list is bounded.
 *
 * @example
 * ```ts
 * const doc = parseBootstrapDocument(await (await fetch(`${url}/v1/bootstrap?peers=8`)).json())
 * const shard0 = doc.relays.find((r) => r.shard === '0')
 * ```
 */
import { BOOTSTRAP_API_VERSION, MAX_BOOTSTRAP_PEERS, SHARD_NAME_PATTERN } from '../constants.ts'
import { InvalidInputError } from '../errors.ts'

export interface BootstrapRelay {
  /** Shard name (`0`, `1`, ...); `0` is the default shard reachable by stock libp2p peers. */
  shard: string
  /** The shard's libp2p peer ID (stable across restarts). */
  peerId: string
  /** Multiaddrs to dial the shard, each ending in `/p2p/<peerId>`. */
  addrs: string[]
}

export interface BootstrapPeer {
  peerId: string
  /** Circuit addresses through the relays the peer holds reservations on. */
  addrs: string[]
}

export interface BootstrapDocument {
  version: typeof BOOTSTRAP_API_VERSION
  /** The overlay's name; peers refuse to mix networks. */
  network: string
  /** Overlay protocol family, e.g. `/edgeswarm/1.0.0`. */
  protocol: string
  /** True when relays require the network credential (`/edgeswarm/auth/1.0.0`) before reserving. */
  private: boolean
  relays: BootstrapRelay[]
  peers: BootstrapPeer[]
  /**
   * Home nodes that offer circuit-relay-v2 hop (`--relay`) and that the edge saw connect from the IP of
   * their listed addresses; `addrs` are direct addresses ending in `/p2p/<peerId>`. Peers may reserve
   * on them besides the edge shards. Always written; read as `[]` from documents older than the field.
   */
  superPeers: BootstrapPeer[]
  /** STUN servers as `stun:host:port` URLs for WebRTC. */
  stun: string[]
  /** ISO-8601 time the document was built. */
  generatedAt: string
}

type Json = unknown

function fail(path: string, expected: string, got: Json): never {
  const shown = JSON.stringify(got)
  throw new InvalidInputError(
    `${path} must be ${expected}, got ${shown === undefined ? 'nothing' : shown.slice(0, 80)}`,
  )
}

function str(path: string, v: Json, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024) fail(path, 'a non-empty string', v)
  if (pattern !== undefined && !pattern.test(v)) fail(path, `a string matching ${pattern}`, v)
  return v
}

function arr<T>(path: string, v: Json, max: number, item: (p: string, x: Json) => T): T[] {
  if (!Array.isArray(v)) fail(path, 'an array', v)
  if (v.length > max) fail(path, `an array of at most ${max} items`, `${v.length} items`)
  return v.map((x, i) => item(`${path}[${i}]`, x))
}

function obj(path: string, v: Json): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v)
  return v as Record<string, Json>
}

/** Relay shards one document lists (shard names are at most three digits: SHARD_NAME_PATTERN). */
export const MAX_BOOTSTRAP_RELAYS = 256
/** Multiaddrs one relay or peer entry lists. */
export const MAX_BOOTSTRAP_ADDRS = 16
/** Super-peers one document lists. */
export const MAX_BOOTSTRAP_SUPER_PEERS = 32
/** STUN servers one document lists. */
export const MAX_BOOTSTRAP_STUN = 16
/** A network name: short, URL- and label-safe. */
export const NETWORK_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
/** `stun:` / `stuns:` URL (RFC 7064): host name, IPv4 or bracketed IPv6, optional port. */
export const STUN_URL_PATTERN = /^stuns?:([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/

const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{40,64}$/
const MULTIADDR = /^\/[\x21-\x7e]+$/

/** Multiaddrs that must each end in `/p2p/<peerId>` (the dialler checks whom it reached). */
function addrsOf(p: string, v: Json, peerId: string): string[] {
  return arr(p, v, MAX_BOOTSTRAP_ADDRS, (q, x) => {
    const addr = str(q, x, MULTIADDR)
    if (!addr.endsWith(`/p2p/${peerId}`)) fail(q, `a multiaddr ending in /p2p/${peerId}`, addr)
    return addr
  })
}

function relay(p: string, v: Json): BootstrapRelay {
  const o = obj(p, v)
  const peerId = str(`${p}.peerId`, o.peerId, PEER_ID)
  return {
    shard: str(`${p}.shard`, o.shard, SHARD_NAME_PATTERN),
    peerId,
    addrs: addrsOf(`${p}.addrs`, o.addrs, peerId),
  }
}

function peer(p: string, v: Json): BootstrapPeer {
  const o = obj(p, v)
  const peerId = str(`${p}.peerId`, o.peerId, PEER_ID)
  return { peerId, addrs: addrsOf(`${p}.addrs`, o.addrs, peerId) }
}

function unique<T>(path: string, items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  items.forEach((item, i) => {
    const k = key(item)
    if (seen.has(k)) fail(`${path}[${i}]`, 'unique', k)
    seen.add(k)
  })
  return items
}

function isoTime(path: string, v: Json): string {
  const s = str(path, v, /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$/)
  if (Number.isNaN(Date.parse(s))) fail(path, 'an ISO-8601 UTC time', s)
  return s
}

/** Validates an untrusted value as a BootstrapDocument; throws InvalidInputError naming the bad field. */
export function parseBootstrapDocument(v: Json): BootstrapDocument {
  const o = obj('bootstrap', v)
  if (o.version !== BOOTSTRAP_API_VERSION) fail('bootstrap.version', String(BOOTSTRAP_API_VERSION), o.version)
  if (typeof o.private !== 'boolean') fail('bootstrap.private', 'a boolean', o.private)
  return {
    version: BOOTSTRAP_API_VERSION,
    network: str('bootstrap.network', o.network, NETWORK_NAME_PATTERN),
    protocol: str('bootstrap.protocol', o.protocol, /^\/[\x21-\x7e]+$/),
    private: o.private,
    relays: unique(
      'bootstrap.relays',
      arr('bootstrap.relays', o.relays, MAX_BOOTSTRAP_RELAYS, relay),
      (r) => r.shard,
    ),
    peers: unique(
      'bootstrap.peers',
      arr('bootstrap.peers', o.peers, MAX_BOOTSTRAP_PEERS, peer),
      (p) => p.peerId,
    ),
    superPeers:
      o.superPeers === undefined
        ? []
        : unique(
            'bootstrap.superPeers',
            arr('bootstrap.superPeers', o.superPeers, MAX_BOOTSTRAP_SUPER_PEERS, peer),
            (p) => p.peerId,
          ),
    stun: arr('bootstrap.stun', o.stun, MAX_BOOTSTRAP_STUN, (q, x) => str(q, x, STUN_URL_PATTERN)),
    generatedAt: isoTime('bootstrap.generatedAt', o.generatedAt),
  }
}

/**
 * Schema of the bootstrap document (`GET /v1/bootstrap`), validated on both ends: the worker checks
 * what it builds, peers check what they receive. Hand-written rather than generated: it is small, and
 * this keeps the worker bundle free of a schema library.
 */
import { BOOTSTRAP_API_VERSION, MAX_BOOTSTRAP_PEERS } from '../constants.ts'
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

const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{40,64}$/
const MULTIADDR = /^\/[\x21-\x7e]+$/

function relay(p: string, v: Json): BootstrapRelay {
  const o = obj(p, v)
  return {
    shard: str(`${p}.shard`, o.shard, /^[0-9]{1,3}$/),
    peerId: str(`${p}.peerId`, o.peerId, PEER_ID),
    addrs: arr(`${p}.addrs`, o.addrs, 16, (q, x) => str(q, x, MULTIADDR)),
  }
}

function peer(p: string, v: Json): BootstrapPeer {
  const o = obj(p, v)
  return {
    peerId: str(`${p}.peerId`, o.peerId, PEER_ID),
    addrs: arr(`${p}.addrs`, o.addrs, 16, (q, x) => str(q, x, MULTIADDR)),
  }
}

/** Validates an untrusted value as a BootstrapDocument; throws InvalidInputError naming the bad field. */
export function parseBootstrapDocument(v: Json): BootstrapDocument {
  const o = obj('bootstrap', v)
  if (o.version !== BOOTSTRAP_API_VERSION) fail('bootstrap.version', String(BOOTSTRAP_API_VERSION), o.version)
  if (typeof o.private !== 'boolean') fail('bootstrap.private', 'a boolean', o.private)
  return {
    version: BOOTSTRAP_API_VERSION,
    network: str('bootstrap.network', o.network, /^[A-Za-z0-9._-]{1,64}$/),
    protocol: str('bootstrap.protocol', o.protocol, /^\/[\x21-\x7e]+$/),
    private: o.private,
    relays: arr('bootstrap.relays', o.relays, 256, relay),
    peers: arr('bootstrap.peers', o.peers, MAX_BOOTSTRAP_PEERS, peer),
    stun: arr('bootstrap.stun', o.stun, 16, (q, x) => str(q, x, /^stuns?:[\x21-\x7e]+$/)),
    generatedAt: str('bootstrap.generatedAt', o.generatedAt),
  }
}

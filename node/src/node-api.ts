/**
 * What the control API (and `npm start`) can ask of a running node: status, dial, ping, send,
 * transfers. A thin shell over the peer core (shared/src/peer/peer-core.ts): it parses arguments and
 * answers plain JSON.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as D from '#shared/defaults.ts'
import { InvalidInputError } from '#shared/errors.ts'
import { PATH_CHOICES, type PathChoice, parsePathChoice } from '#shared/peer/classify.ts'
import type { PeerCore } from '#shared/peer/peer-core.ts'
import type { RoutingStatus } from '#shared/services/routing/service.ts'
import type { ControlHandler } from './control/server.ts'
import type { ReachabilityTracker } from './nat/reachability.ts'
import type { SuperPeer } from './relay/super-peer.ts'

function peerArg(body: Record<string, unknown>): PeerId {
  const raw = body.peer
  if (typeof raw !== 'string') throw new InvalidInputError('peer must be a peer ID string')
  try {
    return peerIdFromString(raw)
  } catch {
    throw new InvalidInputError(
      `peer must be a peer ID such as 12D3KooW..., got ${JSON.stringify(raw.slice(0, 80))}`,
    )
  }
}

function intArg(body: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const v = body[name] ?? def
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidInputError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`)
  }
  return v
}

function choiceArg(raw: unknown): PathChoice {
  const choice = parsePathChoice(raw)
  if (choice === undefined) {
    throw new InvalidInputError(`path must be one of ${PATH_CHOICES.join(', ')}, got ${JSON.stringify(raw)}`)
  }
  return choice
}

export interface NodeApiInit {
  core: PeerCore
  bootstrapUrl: string
  reachability: ReachabilityTracker
  superPeer?: SuperPeer | undefined
  /** The routing service's status (DHT mode, routing table size, neighbours), when it runs. */
  routing?: (() => Promise<RoutingStatus> | undefined) | undefined
}

/** Largest `waitDirectMs` a dial may ask for (ms). */
const MAX_WAIT_DIRECT_MS = 600_000
/** Largest `count` of one ping request. */
const MAX_PING_COUNT = 100

export function nodeRoutes(init: NodeApiInit): Record<string, ControlHandler> {
  const { core } = init
  return {
    'GET /v1/status': () => status(init),
    'POST /v1/dial': (b) => core.dial(peerArg(b), intArg(b, 'waitDirectMs', 0, 0, MAX_WAIT_DIRECT_MS)),
    'POST /v1/ping': (b) => core.ping(peerArg(b), intArg(b, 'count', 1, 1, MAX_PING_COUNT)),
    'POST /v1/send': (b) =>
      core.send(peerArg(b), intArg(b, 'bytes', 0, 0, D.MAX_SEND_BYTES), choiceArg(b.path)),
    'GET /v1/transfers': async () => ({ received: core.transfers.received() }),
  }
}

async function status({ core, bootstrapUrl, reachability, superPeer, routing }: NodeApiInit) {
  const { node, paths } = core
  const conns = node.getConnections().filter((c) => c.status === 'open')
  const [r] = await Promise.all([routing?.(), ...conns.map((c) => paths.measure(c))])
  const neighbours = new Set(r?.neighbours ?? [])
  return {
    peerId: node.peerId.toString(),
    network: core.source.doc?.network,
    bootstrap: bootstrapUrl,
    ...reachability.get(),
    addrs: node.getMultiaddrs().map((a) => a.toString()),
    reservations: [...core.shards.list(), ...(core.superPeers?.list() ?? [])],
    connections: conns.map((c) => {
      const v = paths.describe(c)
      const role = core.shards.has(v.peer) ? 'relay' : 'peer'
      return { ...v, role, label: core.label(v), neighbour: neighbours.has(v.peer) }
    }),
    routing:
      r === undefined
        ? null
        : {
            mode: r.mode,
            routingTableSize: r.routingTableSize,
            neighbours: r.neighbours,
            target: r.target,
          },
    relay: superPeer?.stats() ?? null,
    received: core.transfers.received().length,
  }
}

/**
 * Every reach into js-libp2p internals, in one place. Each hook names what it relies on and has a
 * contract test beside it that fails loudly when an upgrade changes that; the hooked packages are
 * pinned to exact versions in package.json (@libp2p/circuit-relay-v2, @libp2p/kad-dht, @libp2p/utils, libp2p,
 * @libp2p/interface, @libp2p/websockets, @libp2p/logger, protons-runtime, @chainsafe/libp2p-yamux, @chainsafe/libp2p-noise). Where js-libp2p has a
 * public extension point we use it instead (connection gater for private-mode refusals, component
 * options for connection limits, protons-runtime for the one protobuf message we write).
 *
 * | hook | file | used by |
 * |---|---|---|
 * | relay server: reserve / free reservations, circuit admission, both legs of a circuit | relay-server.ts | shared/src/relay/relay-guard.ts |
 * | HopMessage STATUS (protons-runtime) | hop-status.ts | relay-server.ts |
 * | stream `send` interception, `readStatus`, `unwrap` | stream.ts | shared/src/relay/circuit-meter.ts |
 * | transport dial/listen filter rewrite | transport-filter.ts | shared/src/http-path.ts |
 * | `node.components` (addressManager, registrar, transportManager) | components.ts | node/src/relay/super-peer.ts, shared/src/peer/ |
 * | circuit transport's reservation store (`addRelay`, `hasReservation`, `relayFilter`) | reservation-store.ts | shared/src/peer/ |
 * | kad-dht routing table (`size`, `kb.toIterable`, `closestPeerTagger.stop`) | kad-routing-table.ts | shared/src/services/routing/neighbours.ts |
 * | reservation refusals from the client's log line | reservation-log.ts | (the browser peer, before the peer core) |
 * | `isPrivateIp` rewrite at load time (Node only) | node/private-ip.ts | node/src/nat/public-cidr.ts |
| noise connection `decoder.lengthDecoder` (no RangeError per chunk) and `encrypt` (one buffer per chunk), through `secureInbound`/`secureOutbound` | noise-frames.ts | shared/src/peer/libp2p-options.ts, workers/src/relay/shard-node.ts |
| yamux stream `sendWindowUpdate` (every half window), through the muxer's `_newStream` | yamux-window.ts | shared/src/peer/libp2p-options.ts, workers/src/relay/shard-node.ts |
 */
export * from './components.ts'
export * from './hop-status.ts'
export * from './kad-routing-table.ts'
export * from './noise-frames.ts'
export * from './relay-server.ts'
export * from './reservation-log.ts'
export * from './reservation-store.ts'
export * from './stream.ts'
export * from './transport-filter.ts'
export * from './yamux-window.ts'

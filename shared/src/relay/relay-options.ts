/**
 * Builds the stock js-libp2p relay pieces from a resolved RelayConfig, for any runtime (edge Durable
 * Object or `edgeswarm node --relay`).
 *
 * Why `applyDefaultLimit: false`: any limit in the STOP message makes js-libp2p mark the relayed
 * connection "limited", and stock protocols (GossipSub, bitswap, ours) then refuse it. We announce
 * no limit and enforce our own quotas on the relay instead (see `relay-guard.ts`).
 *
 * @example
 * ```ts
 * const config = resolveRelayConfig({ maxCircuits: 64 })
 * createLibp2p({
 *   connectionManager: relayConnectionManagerInit(config),
 *   streamMuxers: [yamux(relayYamuxInit())],
 *   services: { relay: circuitRelayServer(relayServerInit(config)) },
 * })
 * ```
 */
import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'
import type { RelayConfig } from '../config.ts'
import { DEFAULT_PING_MAX_STREAMS, DEFAULT_RELAY_PING_TIMEOUT_MS } from '../defaults.ts'

/**
 * Largest yamux receive window on a relay (bytes). The relay pauses a circuit's reading side while
 * the other side cannot take more; a paused stream buffers at most one window, which must stay below
 * the stream's 4 MiB read-buffer cap. 2 MiB still fills ~40 MB/s at 50 ms RTT.
 */
export const RELAY_MAX_STREAM_WINDOW_BYTES = 2 * 1024 * 1024

export function relayServerInit(config: RelayConfig): CircuitRelayServerInit {
  return {
    // every relayed circuit needs one STOP stream on the destination's connection
    maxOutboundStopStreams: config.maxCircuits,
    reservations: {
      maxReservations: config.maxReservations,
      reservationTtl: config.reservationTtlSeconds * 1000,
      applyDefaultLimit: false,
    },
  }
}

/** Connection-manager limits set explicitly: js-libp2p's browser build defaults refuse peers past ~100. */
export function relayConnectionManagerInit(config: RelayConfig) {
  return {
    maxConnections: config.maxConnections,
    maxIncomingPendingConnections: config.maxPendingConnections,
    // new connections per second per remote IP. The concurrent per-IP cap is enforced before a socket
    // is accepted; this only bounds handshake work, so one IP may use the whole pending budget in a second
    // (a per-IP rate equal to the concurrent cap would refuse a household that reconnects at once)
    inboundConnectionThreshold: Math.max(config.maxConnectionsPerIp, config.maxPendingConnections),
    // a relay never dials out on its own
    maxParallelDials: 16,
  }
}

/**
 * libp2p's connection monitor on a relay: it still pings every connection and drops the dead ones, but
 * waits at least DEFAULT_RELAY_PING_TIMEOUT_MS for an answer, so a live peer that stalls is kept.
 */
export function relayConnectionMonitorInit() {
  return { pingTimeout: { minTimeout: DEFAULT_RELAY_PING_TIMEOUT_MS } }
}

/**
 * The relay's ping service. The monitor starts a ping on every connection every 10 s whether the last
 * one was answered or not; with the stock limit of one outbound ping stream per connection, a ping
 * slower than 10 s made the next one fail with TooManyOutboundProtocolStreamsError, and the monitor
 * dropped the connection for it. Room for the pings a DEFAULT_RELAY_PING_TIMEOUT_MS wait overlaps.
 */
export function relayPingInit() {
  return { maxInboundStreams: DEFAULT_PING_MAX_STREAMS, maxOutboundStreams: DEFAULT_PING_MAX_STREAMS }
}

/** Yamux options of a relay: bounded windows (see RELAY_MAX_STREAM_WINDOW_BYTES), many streams per peer. */
export function relayYamuxInit(config: RelayConfig) {
  return {
    maxInboundStreams: Math.max(1024, config.maxCircuits * 2),
    maxOutboundStreams: Math.max(1024, config.maxCircuits * 2),
    streamOptions: { maxStreamWindowSize: RELAY_MAX_STREAM_WINDOW_BYTES },
  }
}

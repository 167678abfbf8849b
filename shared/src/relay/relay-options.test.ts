import { describe, expect, it } from 'vitest'
import { resolveRelayConfig } from '../config.ts'
import {
  RELAY_MAX_STREAM_WINDOW_BYTES,
  relayConnectionManagerInit,
  relayConnectionMonitorInit,
  relayPingInit,
  relayServerInit,
  relayYamuxInit,
} from './relay-options.ts'

describe('relay options', () => {
  const config = resolveRelayConfig({ maxReservations: 7, reservationTtlSeconds: 90, maxCircuits: 600 })

  it('announces no limit (relayed connections must not be "limited") and maps reservation quotas', () => {
    expect(relayServerInit(config)).toEqual({
      maxOutboundStopStreams: 600,
      reservations: { maxReservations: 7, reservationTtl: 90_000, applyDefaultLimit: false },
    })
  })

  it('sets the connection manager limits explicitly (the browser build defaults refuse peers past ~100)', () => {
    const cm = relayConnectionManagerInit(config)
    expect(cm.maxConnections).toBe(config.maxConnections)
    expect(cm.maxIncomingPendingConnections).toBe(config.maxPendingConnections)
    expect(cm.inboundConnectionThreshold).toBeGreaterThanOrEqual(config.maxConnectionsPerIp)
  })

  it('keeps the connection monitor but waits 30 s for a ping before dropping a peer', () => {
    const floor = relayConnectionMonitorInit().pingTimeout.minTimeout
    expect(floor).toBe(30_000)
    // libp2p starts a ping every 10 s: the pings that one slow answer overlaps must fit the stream limit
    expect(relayPingInit().maxOutboundStreams).toBeGreaterThan(Math.ceil(floor / 10_000))
  })

  it('bounds yamux windows below the 4 MiB read-buffer cap of a paused stream', () => {
    const y = relayYamuxInit(config)
    expect(y.streamOptions.maxStreamWindowSize).toBe(RELAY_MAX_STREAM_WINDOW_BYTES)
    expect(RELAY_MAX_STREAM_WINDOW_BYTES).toBeLessThan(4 * 1024 * 1024)
    expect(y.maxInboundStreams).toBeGreaterThanOrEqual(2 * config.maxCircuits)
  })
})

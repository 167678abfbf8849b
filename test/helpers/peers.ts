/**
 * Node client peers for harness tests: js-libp2p with WebSockets, the circuit-relay transport, noise,
 * yamux, identify, ping (and `/edgeswarm/auth/1.0.0` when given a network key), plus a byte "sink" (the
 * shared `/edgeswarm/transfer/1.0.0` codec) that hashes what arrives, so tests compare data that
 * actually crossed a connection.
 *
 * Node's global WebSocket (undici) slows down on long transfers and workerd accepts permessage-deflate
 * whenever it is offered (compressing ciphertext costs throughput), so the `ws` package without
 * deflate is installed as the global WebSocket (docs/NOTES.md, "WebSockets from Node"). Loopback addresses are allowed, and
 * `/http-path` shard addresses pass the transports' filters through wrappers.
 *
 * @example
 * ```ts
 * const a = await createPeer({ relays: [relayAddr] })
 * await waitForReservation(a, relayPeerId)
 * ```
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p, Stream, Transport } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { type NetworkAuth, networkAuth } from '#shared/auth.ts'
import { allowHttpPath } from '#shared/http-path.ts'
import { randomChunks, receiveTransfer, sendTransfer, TRANSFER_PROTOCOL } from '#shared/protocol/transfer.ts'
import { installNodeWebSocket } from '../../node/src/websocket.ts'
import { waitFor } from './wait.ts'

export { installNodeWebSocket }

installNodeWebSocket()

/** The receiver hashes every byte and answers the SHA-256 when the sender closes (docs/PROTOCOLS.md). */
export const SINK_PROTOCOL = TRANSFER_PROTOCOL

type TransportFactory = (components: never) => Transport

/**
 * The circuit listener also matches its address itself: for an `/http-path` relay, dial the relay
 * first (through the wrapped WebSocket filter) and listen on `/p2p/<relay>/p2p-circuit`, which then
 * reuses that connection.
 */
export function circuitListenViaHttpPath<T extends TransportFactory>(factory: T): T {
  return ((components: { connectionManager: { openConnection: (ma: Multiaddr) => Promise<unknown> } }) => {
    const transport = factory(components as never)
    const createListener = transport.createListener.bind(transport)
    transport.createListener = (options) => {
      const listener = createListener(options)
      const listen = listener.listen.bind(listener)
      listener.listen = async (addr) => {
        const relayId = addr.getComponents().find((c) => c.name === 'p2p')?.value
        if (!addr.getComponents().some((c) => c.name === 'http-path') || relayId === undefined)
          return listen(addr)
        await components.connectionManager.openConnection(addr.decapsulate('/p2p-circuit'))
        return listen(multiaddr(`/p2p/${relayId}/p2p-circuit`))
      }
      return listener
    }
    return transport
  }) as unknown as T
}

export interface PeerOptions {
  /** Relay multiaddrs (ending in `/p2p/<relay>`) to hold reservations on. */
  relays?: string[]
  /** Private network key: answer relays' `/edgeswarm/auth/1.0.0` challenges. */
  networkKey?: string
}

export type TestPeer = Libp2p<{ identify: unknown; ping: unknown; auth?: NetworkAuth }>

export async function createPeer(opts: PeerOptions = {}): Promise<TestPeer> {
  const services: Record<string, unknown> = { identify: identify(), ping: ping() }
  if (opts.networkKey !== undefined) services.auth = networkAuth({ networkKey: opts.networkKey })
  const node = await createLibp2p({
    addresses: { listen: (opts.relays ?? []).map((r) => `${r}/p2p-circuit`) },
    transports: [
      allowHttpPath(webSockets()),
      circuitListenViaHttpPath(allowHttpPath(circuitRelayTransport())),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // loopback relays are "private" addresses: allow dialling them in tests
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: {
      maxConnections: 1024,
      maxIncomingPendingConnections: 64,
      inboundConnectionThreshold: 1024,
    },
    services: services as never,
  })
  return node as unknown as TestPeer
}

/** Circuit addresses of `peer` through `relayPeerId`, once its reservation there is confirmed. */
export async function waitForReservation(
  peer: Libp2p,
  relayPeerId: string,
  timeoutMs = 20_000,
): Promise<string[]> {
  return waitFor(
    `relay reservation of ${peer.peerId} on ${relayPeerId}`,
    () => {
      const addrs = peer
        .getMultiaddrs()
        .map((a) => a.toString())
        .filter((a) => a.includes(`/p2p/${relayPeerId}/p2p-circuit`))
      return addrs.length > 0 ? addrs : undefined
    },
    timeoutMs,
  )
}

export interface SinkRecord {
  from: string
  bytes: number
  sha256: string
  /** The stream ended normally (false: reset or aborted, e.g. a circuit cut by the relay). */
  complete: boolean
  remoteAddr: string
  limited: boolean
}

/**
 * Registers the sink protocol (the shared `/edgeswarm/transfer/1.0.0` codec); records one entry per
 * received stream when it ends, before the digest goes back.
 */
export async function installSink(peer: Libp2p): Promise<SinkRecord[]> {
  const records: SinkRecord[] = []
  await peer.handle(SINK_PROTOCOL, async (stream, connection) => {
    await receiveTransfer(stream, {
      onReceipt: (r) => {
        records.push({
          from: connection.remotePeer.toString(),
          ...r,
          remoteAddr: connection.remoteAddr.toString(),
          limited: connection.limits !== undefined,
        })
      },
    }).catch((err: unknown) => {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    })
  })
  return records
}

export interface SendResult {
  sha256: string
  bytes: number
  /** The receiver's digest, when it answered. */
  echoed?: string
  ms: number
}

/** Streams `size` pseudo-random bytes over `stream` with backpressure and reads the receiver's digest. */
export async function sendBytes(stream: Stream, size: number, chunkSize = 64 * 1024): Promise<SendResult> {
  const r = await sendTransfer(stream, randomChunks(size, chunkSize), { signal: AbortSignal.timeout(30_000) })
  return {
    sha256: r.sha256,
    bytes: r.bytes,
    ms: r.ms,
    ...(r.remoteSha256 === '' ? {} : { echoed: r.remoteSha256 }),
  }
}

/** Stops peers, ignoring ones already stopped. */
export async function stopAll(...peers: Array<Libp2p | undefined>): Promise<void> {
  await Promise.all(peers.map((p) => p?.stop()))
}

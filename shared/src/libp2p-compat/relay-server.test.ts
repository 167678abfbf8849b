import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressManagerOf, registrarOf, transportManagerOf } from './components.ts'
import { HopStatus } from './hop-status.ts'
import { freeReservation, hookConnect, hookReserve, relayServerInternals } from './relay-server.ts'
import { relayOfListener, reservationStoreOf } from './reservation-store.ts'

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
const ECHO = '/compat-test/echo/1.0.0'

function peer(listen: string[], relay = false) {
  return createLibp2p({
    addresses: { listen },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: (relay
      ? { identify: identify(), relay: circuitRelayServer({ reservations: { applyDefaultLimit: false } }) }
      : { identify: identify() }) as never,
  }) as Promise<Libp2p<{ relay: unknown }>>
}

describe('contract: libp2p internals on a real relay (circuit-relay-v2, libp2p components)', () => {
  let relay: Libp2p<{ relay: unknown }>
  const others: Libp2p[] = []
  const reservations: Array<[string, boolean, boolean]> = []
  const opened: Array<{ hop: Stream; stop: Stream; src: string; dst: string }> = []
  let refuseNext = false

  beforeAll(async () => {
    relay = await peer(['/ip4/127.0.0.1/tcp/0/ws'], true)
    const server = relayServerInternals(relay.services.relay)
    hookReserve(server, (p, existed, ok) => reservations.push([p.toString(), existed, ok]))
    hookConnect(server, {
      admit: () => (refuseNext ? HopStatus.RESOURCE_LIMIT_EXCEEDED : undefined),
      pending: () => {},
      opened: (hop, stop, src, dst) => opened.push({ hop, stop, src, dst }),
      onError: (context, err) => {
        throw new Error(`${context}: ${String(err)}`)
      },
    })
  })
  afterAll(async () => {
    await Promise.all([relay, ...others].map((n) => n?.stop()))
  })

  it('node.components has the addressManager, registrar and transportManager methods we use', () => {
    const addrs = addressManagerOf(relay).getAddressesWithMetadata()
    expect(addrs.some((a) => a.type === 'transport' && typeof a.verified === 'boolean')).toBe(true)
    expect(typeof addressManagerOf(relay).confirmObservedAddr).toBe('function')
    expect(typeof registrarOf(relay).getHandler(HOP).handler).toBe('function')
    expect(transportManagerOf(relay).getListeners().length).toBeGreaterThan(0)
    expect(typeof transportManagerOf(relay).listen).toBe('function')
  })

  it('a dial through the transport manager gives a connection libp2p tracks, usable like node.dial', async () => {
    const c = await peer([])
    others.push(c)
    const conn = await transportManagerOf(c).dial(relay.getMultiaddrs()[0]!)
    expect(conn.remotePeer.equals(relay.peerId)).toBe(true)
    expect(c.getConnections(relay.peerId).map((x) => x.id)).toContain(conn.id)
    // node.dial finds it as the open connection to that peer, and identify ran over it
    expect((await c.dial(relay.peerId)).id).toBe(conn.id)
    await expect
      .poll(async () => (await c.peerStore.get(relay.peerId)).protocols.includes(HOP), { timeout: 10_000 })
      .toBe(true)
  })

  it('a reservation goes through our reserve hook; freeing it clears the slot', async () => {
    const relayAddr = relay.getMultiaddrs()[0]!.toString()
    const a = await peer([`${relayAddr}/p2p-circuit`])
    others.push(a)
    await expect
      .poll(() => reservations.some(([p]) => p === a.peerId.toString()), { timeout: 10_000 })
      .toBe(true)
    expect(reservations.find(([p]) => p === a.peerId.toString())).toEqual([a.peerId.toString(), false, true])
    const server = relayServerInternals(relay.services.relay)
    expect(server.reservations.size).toBe(1)
    expect(typeof server.reservationStore.get(a.peerId as PeerId)?.signal.addEventListener).toBe('function')
    // the listener of the reserving peer names its relay; its circuit transport has the reservation store
    const listener = transportManagerOf(a)
      .getListeners()
      .find((l) => relayOfListener(l) !== undefined)
    expect(relayOfListener(listener)?.equals(relay.peerId)).toBe(true)
    const transports = (
      transportManagerOf(a) as unknown as { getTransports: () => unknown[] }
    ).getTransports()
    const circuit = transports.find(
      (t) => (t as { reservationStore?: unknown }).reservationStore !== undefined,
    )
    const store = reservationStoreOf(circuit as never)
    expect(store.hasReservation(relay.peerId)).toBe(true)
    expect(typeof store.addRelay).toBe('function')
    expect(freeReservation(server, a.peerId)).toBe(true)
    expect(server.reservations.size).toBe(0)
    expect(freeReservation(server, a.peerId)).toBe(false)
  })

  it('a circuit hands us both legs; a refused one gets our HopMessage status', async () => {
    const relayAddr = relay.getMultiaddrs()[0]!.toString()
    const b = await peer([`${relayAddr}/p2p-circuit`])
    others.push(b)
    await b.handle(
      ECHO,
      async (stream) => {
        for await (const chunk of stream) stream.send(chunk)
        await stream.close()
      },
      { runOnLimitedConnection: true },
    )
    const circuit = await expect
      .poll(() => b.getMultiaddrs().find((m) => m.toString().includes('/p2p-circuit')), { timeout: 10_000 })
      .toBeDefined()
      .then(() => b.getMultiaddrs().find((m) => m.toString().includes('/p2p-circuit'))!)
    const c = await peer([])
    others.push(c)
    const conn = await c.dial(multiaddr(circuit.toString()))
    expect(opened).toHaveLength(1)
    expect(opened[0]).toMatchObject({ src: c.peerId.toString(), dst: b.peerId.toString() })
    expect(typeof opened[0]!.hop.send).toBe('function')
    expect(typeof opened[0]!.stop.send).toBe('function')
    await conn.close()

    refuseNext = true
    const d = await peer([])
    others.push(d)
    await expect(d.dial(multiaddr(circuit.toString()))).rejects.toThrow(/RESOURCE_LIMIT_EXCEEDED/)
  })
})

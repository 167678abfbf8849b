/**
 * A plain js-libp2p peer made of stock modules only (TCP, WebSockets, WebRTC, circuit-relay-v2
 * transport, DCUtR, identify, ping, noise, yamux), run inside a NAT lab home namespace as the
 * baseline the edgeswarm daemon is compared with. Configuration only, no edgeswarm networking code
 * (the bytes it moves use the daemon's `/edgeswarm/transfer/1.0.0` codec, so both measure alike): the gater
 * allows the lab's documentation-range addresses, WebSockets come from `ws` without deflate
 * (docs/NOTES.md, "WebSockets from Node") and the STUN server is the lab's.
 *
 * Talks JSON lines: events on stdout, commands on stdin.
 *   node bench/nat-stock-peer.ts --relay <multiaddr> [--stun stun:ip:port]
 *   stdin  {"cmd":"send","peer":"<id>","addrs":["<circuit addr>"],"bytes":N}
 *   stdin  {"cmd":"upgrade","peer":"<id>","addrs":["<circuit addr>/webrtc/p2p/<id>"]}
 *   stdout {"event":"reserved","ms":...} {"event":"sent",...} {"event":"received",...} {"event":"upgraded",...}
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import type { Connection } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import WebSocket from 'ws'
import { randomChunks, receiveTransfer, sendTransfer, TRANSFER_PROTOCOL } from '#shared/protocol/transfer.ts'

class NoDeflateWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 })
  }
}
;(globalThis as { WebSocket: unknown }).WebSocket = NoDeflateWebSocket

const { values } = parseArgs({ options: { relay: { type: 'string' }, stun: { type: 'string' } } })
const emit = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, ms: Math.round(process.uptime() * 1000), ...fields })}\n`)

export function pathOf(conn: Connection): 'relayed' | 'direct-webrtc' | 'direct-tcp' {
  const addr = conn.remoteAddr.toString()
  if (addr.includes('/p2p-circuit')) return addr.includes('/webrtc') ? 'direct-webrtc' : 'relayed'
  return addr.includes('/webrtc') ? 'direct-webrtc' : 'direct-tcp'
}

const stunUrls = values.stun === undefined ? [] : [values.stun]
const node = await createLibp2p({
  addresses: {
    listen: [
      '/ip4/0.0.0.0/tcp/0',
      ...(values.relay === undefined ? [] : [`${values.relay}/p2p-circuit`]),
      '/webrtc',
    ],
  },
  transports: [
    tcp(),
    webSockets(),
    webRTC({ rtcConfiguration: { iceServers: stunUrls.map((urls) => ({ urls })) } }),
    circuitRelayTransport(),
  ],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater: { denyDialMultiaddr: () => false },
  services: { identify: identify(), ping: ping(), dcutr: dcutr() },
})
emit('started', { peerId: node.peerId.toString() })

let reserved = false
node.addEventListener('self:peer:update', () => {
  const circuits = node.getMultiaddrs().filter((a) => a.toString().includes('/p2p-circuit'))
  if (circuits.length > 0 && !reserved) {
    reserved = true
    emit('reserved', { addrs: node.getMultiaddrs().map((a) => a.toString()) })
  }
})
node.addEventListener('connection:open', (evt) => {
  emit('connection', { peer: evt.detail.remotePeer.toString(), path: pathOf(evt.detail) })
})

await node.handle(
  TRANSFER_PROTOCOL,
  async (stream, conn) => {
    await receiveTransfer(stream, {
      onReceipt: (r) =>
        emit('received', {
          from: conn.remotePeer.toString(),
          bytes: r.bytes,
          sha256: r.sha256,
          path: pathOf(conn),
        }),
    })
  },
  { runOnLimitedConnection: true },
)

async function send(peer: string, addrs: string[], size: number): Promise<void> {
  const t0 = performance.now()
  const target = addrs.length > 0 ? addrs.map((a) => multiaddr(a)) : peerIdFromString(peer)
  const conn = await node.dial(target, { signal: AbortSignal.timeout(30_000) })
  const stream = await conn.newStream(TRANSFER_PROTOCOL, {
    runOnLimitedConnection: true,
    signal: AbortSignal.timeout(30_000),
  })
  const dialMs = performance.now() - t0
  const r = await sendTransfer(stream, randomChunks(size), { signal: AbortSignal.timeout(120_000) })
  emit('sent', {
    peer,
    bytes: r.bytes,
    sha256: r.sha256,
    echoed: r.remoteSha256,
    path: pathOf(conn),
    dialMs: Math.round(dialMs),
    transferMs: r.ms,
  })
}

async function upgrade(peer: string, addrs: string[]): Promise<void> {
  const t0 = performance.now()
  try {
    const conn = await node.dial(
      addrs.map((a) => multiaddr(a)),
      { signal: AbortSignal.timeout(20_000) },
    )
    // A WebRTC connection can open without carrying data (symmetric NAT, docs/NOTES.md "NAT, DCUtR and WebRTC"): prove it with a ping.
    const rtt = await node.services.ping.ping(conn.remoteAddr, { signal: AbortSignal.timeout(5_000) })
    emit('upgraded', { peer, path: pathOf(conn), upgradeMs: Math.round(performance.now() - t0), rtt })
  } catch (err) {
    emit('upgrade-failed', { peer, error: err instanceof Error ? err.message : String(err) })
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  const cmd = JSON.parse(line) as { cmd: string; peer: string; addrs?: string[]; bytes?: number }
  try {
    if (cmd.cmd === 'send') await send(cmd.peer, cmd.addrs ?? [], cmd.bytes ?? 0)
    else if (cmd.cmd === 'upgrade') await upgrade(cmd.peer, cmd.addrs ?? [])
    else if (cmd.cmd === 'stop') break
  } catch (err) {
    emit('error', { cmd: cmd.cmd, error: err instanceof Error ? err.message : String(err) })
  }
}
await node.stop()

/**
 * The local stand-in for one DNS name per relay shard: `wrangler dev` serves one port, so each shard
 * n ≥ 1 gets a loopback port of its own that forwards bytes unchanged to wrangler dev's port. The
 * client's Host header (`127.0.0.1:<shard port>`) reaches the Worker as sent, and the Worker routes
 * it to shard n (SHARD_PORTS, workers/src/app/shard-hosts.ts). Stock js-libp2p peers dial the
 * announced `/ip4/127.0.0.1/tcp/<shard port>/ws` like any WebSocket address.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { freePort } from './ports.ts'

export interface ShardPorts {
  /** Port of shard 1, 2, ... */
  ports: number[]
  close: () => Promise<void>
}

function forward(host: string, target: number, port: number, sockets: Set<Socket>): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(target, host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
      // a reset on one side ends the other; nothing to report for a local dev forward
      s.on('error', () => (s === client ? upstream : client).destroy())
    }
    client.pipe(upstream).pipe(client)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}

/** Opens `count` forwards from free ports on `host` to `host:target`. */
export async function forwardShardPorts(host: string, target: number, count: number): Promise<ShardPorts> {
  const sockets = new Set<Socket>()
  const servers: Server[] = []
  for (let i = 0; i < count; i++) servers.push(await forward(host, target, await freePort(host), sockets))
  const ports = servers.map((s) => {
    const addr = s.address()
    return typeof addr === 'object' && addr !== null ? addr.port : 0
  })
  const close = async () => {
    for (const s of sockets) s.destroy()
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  }
  return { ports, close }
}

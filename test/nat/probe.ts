/**
 * Tiny network probes the NAT lab runs inside its namespaces (`ip netns exec <ns> node probe.ts ...`).
 * Each prints one JSON line per result on stdout.
 *
 *   serve <ip> <port>                 UDP + TCP echo of the sender's address ("twice": reply again later)
 *   udp-hold <host> <port> <lport> <ms> send "twice" from lport, print the reply, count packets for ms
 *   send-udp <ip> <port> <host> <port> send one datagram from a fixed source (an unsolicited sender)
 *   tcp <host> <port>                  connect and print what the server saw as our address
 *   stun <lport> <host:port>...        STUN binding requests from one socket, print each mapping
 */
import { randomBytes } from 'node:crypto'
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { connect, createServer } from 'node:net'

const STUN_COOKIE = 0x2112a442

function print(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
}

function bind(port: number, ip?: string): Promise<Socket> {
  const sock = createSocket('udp4')
  return new Promise((resolve, reject) => {
    sock.once('error', reject)
    sock.bind(port, ip, () => resolve(sock))
  })
}

function serve(ip: string, port: number): void {
  const udp = createSocket('udp4')
  udp.on('message', (msg: Buffer, from: RemoteInfo) => {
    const reply = Buffer.from(JSON.stringify({ address: from.address, port: from.port }))
    udp.send(reply, from.port, from.address)
    if (msg.toString() === 'twice') setTimeout(() => udp.send(reply, from.port, from.address), 300)
  })
  udp.bind(port, ip)
  const tcp = createServer((s) => {
    s.end(`${JSON.stringify({ address: s.remoteAddress, port: s.remotePort })}\n`)
  })
  tcp.listen(port, ip, () => print({ ready: true }))
}

async function udpHold(host: string, port: number, localPort: number, holdMs: number): Promise<void> {
  const sock = await bind(localPort)
  let received = 0
  sock.on('message', (msg: Buffer) => {
    received++
    if (received === 1) print({ mapped: JSON.parse(msg.toString()) })
  })
  sock.send('twice', port, host)
  await new Promise((resolve) => setTimeout(resolve, holdMs))
  print({ received })
  sock.close()
}

async function sendUdp(ip: string, localPort: number, host: string, port: number): Promise<void> {
  const sock = await bind(localPort, ip)
  await new Promise<void>((resolve, reject) =>
    sock.send('unsolicited', port, host, (err) => (err ? reject(err) : resolve())),
  )
  sock.close()
}

function tcp(host: string, port: number): void {
  const s = connect(port, host)
  let data = ''
  s.on('data', (d: Buffer) => {
    data += d.toString()
  })
  s.on('end', () => print({ seenAs: JSON.parse(data) }))
  s.on('error', (err) => {
    print({ error: err.message })
    process.exitCode = 1
  })
}

/** Parses the XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of a STUN binding success response (RFC 8489). */
function parseStun(msg: Buffer, txId: Buffer): { address: string; port: number } | undefined {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0101 || !msg.subarray(8, 20).equals(txId)) return undefined
  let off = 20
  const end = 20 + msg.readUInt16BE(2)
  while (off + 4 <= end) {
    const type = msg.readUInt16BE(off)
    const len = msg.readUInt16BE(off + 2)
    const v = msg.subarray(off + 4, off + 4 + len)
    if ((type === 0x0020 || type === 0x0001) && v[1] === 0x01) {
      const xor = type === 0x0020
      const port = v.readUInt16BE(2) ^ (xor ? STUN_COOKIE >>> 16 : 0)
      const raw = v.readUInt32BE(4) ^ (xor ? STUN_COOKIE : 0)
      const address = [24, 16, 8, 0].map((s) => (raw >>> s) & 0xff).join('.')
      return { address, port }
    }
    off += 4 + len + ((4 - (len % 4)) % 4)
  }
  return undefined
}

async function stun(localPort: number, servers: string[]): Promise<void> {
  const sock = await bind(localPort)
  for (const server of servers) {
    const [host, port] = server.split(':')
    const txId = randomBytes(12)
    const req = Buffer.alloc(20)
    req.writeUInt16BE(0x0001, 0)
    req.writeUInt16BE(0, 2)
    req.writeUInt32BE(STUN_COOKIE, 4)
    txId.copy(req, 8)
    const mapped = await new Promise<{ address: string; port: number } | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 2_000)
      const onMsg = (msg: Buffer) => {
        const m = parseStun(msg, txId)
        if (m === undefined) return
        clearTimeout(timer)
        sock.off('message', onMsg)
        resolve(m)
      }
      sock.on('message', onMsg)
      sock.send(req, Number(port), host)
    })
    print({ server, mapped: mapped ?? null })
  }
  sock.close()
}

const [cmd, ...args] = process.argv.slice(2)
if (cmd === 'serve') serve(args[0]!, Number(args[1]))
else if (cmd === 'udp-hold') await udpHold(args[0]!, Number(args[1]), Number(args[2]), Number(args[3]))
else if (cmd === 'send-udp') await sendUdp(args[0]!, Number(args[1]), args[2]!, Number(args[3]))
else if (cmd === 'tcp') tcp(args[0]!, Number(args[1]))
else if (cmd === 'stun') await stun(Number(args[0]), args.slice(1))
else {
  process.stderr.write(`probe: unknown command ${cmd ?? '(none)'}\n`)
  process.exitCode = 2
}

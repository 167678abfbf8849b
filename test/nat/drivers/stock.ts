/**
 * Driver for the stock js-libp2p baseline (`bench/nat-stock-peer.ts`). A stock peer has no bootstrap
 * lookup by peer ID, so it is given the other peer's circuit address through the edge's default shard,
 * and it upgrades the way universal-connectivity does: dial the `/webrtc` address through the relay
 * (and the peer's TCP listen addresses), besides whatever stock DCUtR manages by itself.
 */
import { join } from 'node:path'
import { waitFor } from '../../helpers/wait.ts'
import { NODE } from '../lab.ts'
import type { LabPeer, PathKind, PeerDriver, ReceiveRecord } from './types.ts'

const SCRIPT = join(import.meta.dirname, '..', '..', '..', 'bench', 'nat-stock-peer.ts')

type Event = Record<string, unknown> & { event: string; ms: number }

/** The default shard's dial address, from the bootstrap document or the shard's stats. */
export async function defaultShardAddr(edgeUrl: string): Promise<string> {
  const doc = await fetch(`${edgeUrl}/v1/bootstrap`)
    .then((r) =>
      r.ok ? (r.json() as Promise<{ relays?: { shard: string; addrs: string[] }[] }>) : undefined,
    )
    .catch(() => undefined)
  const fromDoc = doc?.relays?.find((r) => r.shard === '0')?.addrs[0]
  if (fromDoc !== undefined) return fromDoc
  const stats = (await (await fetch(`${edgeUrl}/relay/0/stats`)).json()) as { addrs: string[] }
  const addr = stats.addrs[0]
  if (addr === undefined) throw new Error(`shard 0 of ${edgeUrl} lists no address`)
  return addr
}

export const stockDriver: PeerDriver = {
  name: 'stock js-libp2p',
  async start({ lab, edge, home, dataDir }) {
    const relay = await defaultShardAddr(edge.adminUrl)
    const proc = lab.spawn(
      home.host,
      [NODE, SCRIPT, '--relay', relay, '--stun', lab.stunUrl],
      {},
      { stdin: true },
    )
    const events = (): Event[] =>
      proc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{"event"'))
        .map((l) => JSON.parse(l) as Event)
    const next = (what: string, match: (e: Event) => boolean, after: number, timeoutMs = 60_000) =>
      waitFor(
        what,
        () => {
          if (proc.exited()) throw new Error(`stock peer exited:\n${proc.output().slice(-2000)}`)
          return events().slice(after).find(match)
        },
        timeoutMs,
        20,
      )
    const started = await next('stock peer to start', (e) => e.event === 'started', 0, 30_000)
    const reserved = await next('stock peer reservation on shard 0', (e) => e.event === 'reserved', 0)
    const addrs = reserved.addrs as string[]
    const peer: LabPeer & { addrs: string[] } = {
      peerId: started.peerId as string,
      home,
      dataDir,
      shards: () => ['0'],
      addrs,
      reservedMs: reserved.ms,
      output: () => proc.output(),
      async connect(to) {
        const circuit = (to as typeof peer).addrs.filter(
          (a) => a.includes('/p2p-circuit') && !a.includes('/webrtc'),
        )
        const mark = events().length
        proc.write(JSON.stringify({ cmd: 'send', peer: to.peerId, addrs: circuit, bytes: 1 }))
        const sent = await next('stock first byte', (e) => e.event === 'sent' || e.event === 'error', mark)
        if (sent.event === 'error') throw new Error(`stock dial failed: ${sent.error}`)
        return { path: sent.path as PathKind, dialMs: sent.dialMs as number }
      },
      async waitDirect(to, timeoutMs) {
        const other = (to as typeof peer).addrs
        const candidates = [
          ...other.filter((a) => a.includes('/webrtc') && a.includes('/p2p-circuit')),
          ...other.filter((a) => a.includes('/tcp/') && !a.includes('/p2p-circuit') && !a.includes('/ws')),
        ]
        const mark = events().length
        proc.write(JSON.stringify({ cmd: 'upgrade', peer: to.peerId, addrs: candidates }))
        const res = await next(
          'stock upgrade attempt',
          (e) => e.event === 'upgraded' || e.event === 'upgrade-failed',
          mark,
          timeoutMs + 5_000,
        ).catch(() => undefined)
        if (res?.event !== 'upgraded') return undefined
        return { path: res.path as PathKind, upgradeMs: res.upgradeMs as number }
      },
      async send(to, bytes) {
        const mark = events().length
        // By peer ID: libp2p reuses the open connection, preferring an unlimited (direct) one.
        proc.write(JSON.stringify({ cmd: 'send', peer: to.peerId, addrs: [], bytes }))
        const e = await next(
          'stock transfer',
          (x) => x.event === 'sent' || x.event === 'error',
          mark,
          180_000,
        )
        if (e.event === 'error') throw new Error(`stock send failed: ${e.error}`)
        return {
          path: e.path as PathKind,
          bytes: e.bytes as number,
          sha256: e.sha256 as string,
          remoteSha256: e.echoed as string,
          dialMs: e.dialMs as number,
          transferMs: e.transferMs as number,
        }
      },
      async received(from, timeoutMs = 30_000) {
        const e = await next(
          `stock receipt from ${from.peerId}`,
          (x) => x.event === 'received' && x.from === from.peerId && (x.bytes as number) > 1,
          0,
          timeoutMs,
        )
        return e as unknown as ReceiveRecord
      },
      async stop() {
        proc.write(JSON.stringify({ cmd: 'stop' }))
        await waitFor('stock peer to exit', () => proc.exited(), 5_000).catch(() => proc.stop())
      },
    }
    return peer
  },
}

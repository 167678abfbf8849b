/**
 * Moves bytes over the overlay with `/edgeswarm/transfer/1.0.0` (shared/src/protocol/transfer.ts, the
 * same protocol the Node daemon speaks) and records, for each transfer, the path it actually took.
 */
import type { Libp2p } from '@libp2p/interface'
import { toError } from '../../shared/src/errors.ts'
import {
  randomChunks,
  receiveTransfer,
  sendTransfer,
  TRANSFER_PROTOCOL,
} from '../../shared/src/protocol/transfer.ts'
import type { EventLog } from './events.ts'
import type { LinkManager } from './links.ts'
import type { ReceiveRecord, SendOptions, SendReport } from './types.ts'

export class Transfers {
  readonly received: ReceiveRecord[] = []
  readonly #node: Libp2p
  readonly #links: LinkManager
  readonly #events: EventLog

  constructor(node: Libp2p, links: LinkManager, events: EventLog) {
    this.#node = node
    this.#links = links
    this.#events = events
  }

  async start(): Promise<void> {
    await this.#node.handle(
      TRANSFER_PROTOCOL,
      async (stream, connection) => {
        const link = this.#links.links.get(connection.id)
        const receipt = await receiveTransfer(stream)
        const path = link?.kind === 'webrtc' ? 'direct' : 'relayed'
        this.received.push({
          from: connection.remotePeer.toString(),
          ...receipt,
          path,
          label: link?.label ?? connection.remoteAddr.toString(),
          at: Date.now(),
        })
        this.#events.emit({
          event: 'transfer',
          peer: connection.remotePeer.toString(),
          direction: 'in',
          bytes: receipt.bytes,
          path,
          ok: receipt.complete,
        })
      },
      { runOnLimitedConnection: true, maxInboundStreams: 64 },
    )
  }

  async send(peer: string, size: number, opts: SendOptions = {}): Promise<SendReport> {
    const conn = this.#links.best(peer, opts.path ?? 'auto')
    if (conn === undefined) throw new Error(`no ${opts.path ?? 'open'} connection to ${peer}; dial it first`)
    const link = this.#links.links.get(conn.id)
    const signal = AbortSignal.timeout(opts.timeoutMs ?? 120_000)
    const path = link?.kind === 'webrtc' ? 'direct' : 'relayed'
    try {
      const stream = await conn.newStream(TRANSFER_PROTOCOL, { signal, runOnLimitedConnection: true })
      const r = await sendTransfer(stream, randomChunks(size), { signal })
      const ok = r.remoteSha256 === r.sha256
      this.#events.emit({ event: 'transfer', peer, direction: 'out', bytes: r.bytes, path, ok, ms: r.ms })
      return {
        peer,
        ...r,
        ok,
        path,
        label: link?.label ?? conn.remoteAddr.toString(),
        ...(link?.shard === undefined ? {} : { shard: link.shard }),
        mbPerSecond: r.bytes / 1e6 / Math.max(r.ms / 1000, 1e-3),
      }
    } catch (err) {
      this.#events.emit({ event: 'transfer', peer, direction: 'out', bytes: 0, path, ok: false })
      throw new Error(
        `transfer to ${peer} over ${link?.label ?? 'connection'} failed: ${toError(err).message}`,
      )
    }
  }
}

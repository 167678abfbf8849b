/**
 * The transfer service (`/edgeswarm/transfer/1.0.0`, codec in shared/src/protocol/transfer.ts): a sink
 * that proves bytes crossed a connection. The receiver records each transfer (digest and path) before
 * it answers the digest (`onReceipt`), so a sender holding the digest knows the record exists; a test
 * compares both ends and sees which way the data went.
 *
 * @example
 * ```ts
 * const transfers = new TransferService({ node, paths, events, label })
 * await transfers.start()
 * const sent = await transfers.send(conn, 1 << 20) // { sha256, remoteSha256, match, path, ... }
 * ```
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import {
  DEFAULT_STREAM_OPEN_TIMEOUT_MS,
  DEFAULT_TRANSFER_HISTORY,
  DEFAULT_TRANSFER_MAX_STREAMS,
} from '../defaults.ts'
import { toError } from '../errors.ts'
import { randomChunks, receiveTransfer, sendTransfer, TRANSFER_PROTOCOL } from '../protocol/transfer.ts'
import type { PathKind } from './classify.ts'
import type { PeerEvents } from './events.ts'
import type { ConnectionView, PathManager } from './path-manager.ts'

export interface TransferRecord {
  peer: string
  bytes: number
  sha256: string
  complete: boolean
  path: PathKind
  /** Human label of the path, e.g. `relayed via shard 0`. */
  label: string
  remoteAddr: string
  /** When it finished (epoch ms). */
  at: number
}

export interface SendReport {
  peer: string
  bytes: number
  /** SHA-256 of what we sent and what the receiver computed (hex). */
  sha256: string
  remoteSha256: string
  /** Both digests agree: every byte arrived. */
  match: boolean
  path: PathKind
  label: string
  shard?: string
  remoteAddr: string
  ms: number
  /** Throughput in MB/s (null for an instant send). */
  mbps: number | null
}

export interface TransferServiceInit {
  node: Libp2p
  paths: PathManager
  events: PeerEvents
  /** Human label of a connection's path (the shell knows super-peers from other relays). */
  label: (view: ConnectionView) => string
}

export class TransferService {
  readonly #init: TransferServiceInit
  readonly #received: TransferRecord[] = []

  constructor(init: TransferServiceInit) {
    this.#init = init
  }

  /** The last DEFAULT_TRANSFER_HISTORY transfers received, oldest first. */
  received(): TransferRecord[] {
    return [...this.#received]
  }

  async start(): Promise<void> {
    await this.#init.node.handle(
      TRANSFER_PROTOCOL,
      async (stream, connection) => {
        await receiveTransfer(stream, { onReceipt: (r) => this.#record(connection, r) }).catch(
          (err: unknown) => {
            stream.abort(toError(err))
          },
        )
      },
      { runOnLimitedConnection: true, maxInboundStreams: DEFAULT_TRANSFER_MAX_STREAMS },
    )
  }

  /**
   * Streams `size` random bytes over `conn`; throws when the receiver did not confirm them.
   * `timeoutMs` bounds the whole transfer (none by default: a 4 GiB send takes long); opening the
   * stream is bounded by DEFAULT_STREAM_OPEN_TIMEOUT_MS.
   */
  async send(conn: Connection, size: number, opts: { timeoutMs?: number } = {}): Promise<SendReport> {
    const view = this.#init.paths.describe(conn)
    const label = this.#init.label(view)
    const peer = view.peer
    const signal = opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs)
    try {
      const stream = await conn.newStream(TRANSFER_PROTOCOL, {
        runOnLimitedConnection: true,
        signal: AbortSignal.any([
          AbortSignal.timeout(DEFAULT_STREAM_OPEN_TIMEOUT_MS),
          ...(signal === undefined ? [] : [signal]),
        ]),
      })
      const r = await sendTransfer(stream, randomChunks(size), signal === undefined ? {} : { signal }).catch(
        (err: unknown) => {
          stream.abort(toError(err))
          throw err
        },
      )
      if (r.remoteSha256 === '') {
        // the receiver answers only after reading everything: no digest means the stream was cut
        throw new Error(`the receiver did not confirm the ${size} bytes (stream reset after ${r.ms} ms)`)
      }
      const match = r.remoteSha256 === r.sha256
      this.#init.events('transfer.sent', { peer, bytes: r.bytes, path: view.path, ok: match, ms: r.ms })
      return {
        peer,
        ...r,
        match,
        path: view.path,
        label,
        ...(view.shard === undefined ? {} : { shard: view.shard }),
        remoteAddr: view.remoteAddr,
        mbps: r.ms === 0 ? null : Math.round((r.bytes / 1e6 / (r.ms / 1000)) * 10) / 10,
      }
    } catch (err) {
      const reason = toError(err).message
      this.#init.events('transfer.sent', { peer, bytes: 0, path: view.path, ok: false, reason }, 'warn')
      throw new Error(`transfer to ${peer} over ${label} failed: ${reason}`)
    }
  }

  #record(connection: Connection, receipt: { bytes: number; sha256: string; complete: boolean }): void {
    const view = this.#init.paths.describe(connection)
    const record: TransferRecord = {
      peer: view.peer,
      ...receipt,
      path: view.path,
      label: this.#init.label(view),
      remoteAddr: view.remoteAddr,
      at: Date.now(),
    }
    this.#received.push(record)
    if (this.#received.length > DEFAULT_TRANSFER_HISTORY) this.#received.shift()
    const { at: _at, label: _label, ...fields } = record
    this.#init.events('transfer.received', fields)
  }
}

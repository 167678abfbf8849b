/**
 * `/edgeswarm/transfer/1.0.0` on the node (wire format and codec in shared/src/protocol/transfer.ts,
 * shared with the browser peer): a sink that proves bytes crossed a connection. Both ends record the
 * digest and the path, so a test can compare them and see which way the data went.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { toError } from '../../shared/src/errors.ts'
import {
  randomChunks,
  receiveTransfer,
  sendTransfer as sendOnStream,
  TRANSFER_PROTOCOL,
  type TransferResult,
} from '../../shared/src/protocol/transfer.ts'

/** How long opening the stream, or one chunk waiting for the stream to drain, may take (ms). */
const STALL_TIMEOUT_MS = 30_000

export interface TransferRecord {
  peer: string
  bytes: number
  sha256: string
  path: string
  remoteAddr: string
  complete: boolean
  at: string
}

/** Registers the sink; `onReceived` gets one record per finished stream. */
export async function handleTransfers(
  node: Libp2p,
  describePath: (c: Connection) => string,
  onReceived: (r: TransferRecord) => void,
): Promise<void> {
  await node.handle(
    TRANSFER_PROTOCOL,
    async (stream, connection) => {
      const receipt = await receiveTransfer(stream).catch((err: unknown) => {
        stream.abort(toError(err))
        return { bytes: 0, sha256: '', complete: false }
      })
      onReceived({
        peer: connection.remotePeer.toString(),
        ...receipt,
        path: describePath(connection),
        remoteAddr: connection.remoteAddr.toString(),
        at: new Date().toISOString(),
      })
    },
    { runOnLimitedConnection: true, maxInboundStreams: 64 },
  )
}

/** Streams `size` random bytes on a new transfer stream over `connection`. */
export async function sendTransfer(connection: Connection, size: number): Promise<TransferResult> {
  const stream = await connection.newStream(TRANSFER_PROTOCOL, {
    runOnLimitedConnection: true,
    signal: AbortSignal.timeout(STALL_TIMEOUT_MS),
  })
  let result: TransferResult
  try {
    result = await sendOnStream(stream, randomChunks(size))
  } catch (err) {
    stream.abort(toError(err))
    throw toError(err)
  }
  if (result.remoteSha256 === '') {
    // the receiver answers only after reading everything: no digest means the stream was cut
    throw new Error(`the receiver did not confirm the ${size} bytes (stream reset after ${result.ms} ms)`)
  }
  return result
}

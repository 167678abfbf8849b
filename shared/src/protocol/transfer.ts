/**
 * `/edgeswarm/transfer/1.0.0`: move bytes to a peer and get the receiver's SHA-256 back, so a sender
 * knows exactly what crossed the connection (tests and benches compare digests, never events).
 *
 * Wire format, one stream per transfer:
 * 1. the dialer sends the payload as raw bytes and closes its writable end;
 * 2. the listener hashes every byte it reads, then answers the 32-byte SHA-256 of all of it and closes;
 *    if the stream was reset before the dialer's close, it answers nothing.
 *
 * Runtime-neutral (Web-standard APIs plus @noble/hashes' incremental SHA-256): the browser peer and the
 * Node daemon share it.
 *
 * @example
 * ```ts
 * await node.handle(TRANSFER_PROTOCOL, (stream) => receiveTransfer(stream), { runOnLimitedConnection: true })
 * const stream = await connection.newStream(TRANSFER_PROTOCOL, { runOnLimitedConnection: true })
 * const { sha256, remoteSha256 } = await sendTransfer(stream, randomChunks(16 * 1024 * 1024))
 * ```
 */
import type { Stream } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { concat } from 'uint8arrays/concat'
import { toString as bytesToString } from 'uint8arrays/to-string'

export const TRANSFER_PROTOCOL = '/edgeswarm/transfer/1.0.0'
/** SHA-256 output (bytes): the receiver's whole answer. */
export const TRANSFER_DIGEST_BYTES = 32

export interface TransferReceipt {
  bytes: number
  /** Hex SHA-256 of everything read. */
  sha256: string
  /** The dialer closed its end normally (false: reset or aborted mid-way; no digest was sent). */
  complete: boolean
}

export interface TransferResult {
  bytes: number
  /** Hex SHA-256 of what this side sent. */
  sha256: string
  /** Hex SHA-256 the receiver computed and answered ('' if it answered nothing). */
  remoteSha256: string
  ms: number
}

export function toHex(bytes: Uint8Array): string {
  return bytesToString(bytes, 'base16')
}

function bytesOf(chunk: Uint8Array | { subarray: () => Uint8Array }): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray()
}

/**
 * Listener side: hash until the dialer closes, answer the digest, close. `onReceipt` sees the receipt
 * before the digest goes back, so a sender that holds the digest knows the receiver has recorded it.
 */
export async function receiveTransfer(
  stream: Stream,
  options: { onReceipt?: (receipt: TransferReceipt) => void } = {},
): Promise<TransferReceipt> {
  const hash = sha256.create()
  let bytes = 0
  try {
    for await (const chunk of stream) {
      const buf = bytesOf(chunk)
      hash.update(buf)
      bytes += buf.byteLength
    }
  } catch {
    // reset or aborted by the remote or a relay cutting the circuit: the receipt says so
    const cut = { bytes, sha256: toHex(hash.digest()), complete: false }
    options.onReceipt?.(cut)
    return cut
  }
  const digest = hash.digest()
  const receipt = { bytes, sha256: toHex(digest), complete: true }
  options.onReceipt?.(receipt)
  stream.send(digest)
  await stream.close()
  return receipt
}

/** Dialer side: send every chunk with backpressure, close, read the receiver's digest. */
export async function sendTransfer(
  stream: Stream,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): Promise<TransferResult> {
  const started = Date.now()
  const hash = sha256.create()
  let bytes = 0
  const reply: Uint8Array[] = []
  const onAbort = () => stream.abort(new Error('transfer aborted'))
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const replied = new Promise<void>((resolve) => {
    stream.addEventListener('message', (evt) => {
      reply.push(bytesOf(evt.data))
    })
    stream.addEventListener('close', () => resolve(), { once: true })
  })
  for await (const chunk of chunks) {
    hash.update(chunk)
    bytes += chunk.byteLength
    if (!stream.send(chunk)) await stream.onDrain(options)
  }
  await stream.close(options)
  await replied
  options.signal?.removeEventListener('abort', onAbort)
  const digest = concat(reply)
  return {
    bytes,
    sha256: toHex(hash.digest()),
    remoteSha256: digest.byteLength === TRANSFER_DIGEST_BYTES ? toHex(digest) : '',
    ms: Date.now() - started,
  }
}

/** `total` pseudo-random bytes in `chunkSize` pieces (crypto.getRandomValues takes at most 64 KiB a call). */
export function* randomChunks(total: number, chunkSize = 64 * 1024): Generator<Uint8Array> {
  for (let sent = 0; sent < total; ) {
    const n = Math.min(chunkSize, total - sent, 65_536)
    const chunk = new Uint8Array(n)
    crypto.getRandomValues(chunk)
    sent += n
    yield chunk
  }
}

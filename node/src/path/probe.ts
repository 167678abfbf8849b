/**
 * A ping on one given connection (stock `/ipfs/ping/1.0.0`, 32 random bytes echoed), so that a path is
 * judged by bytes that crossed that very connection, never by `connection:open` events (a WebRTC
 * connection can "open" without ever carrying a packet: DESIGN.md).
 */
import type { Connection } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { TimeoutError, toError } from '../../../shared/src/errors.ts'

export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

/** Round-trip time in ms; rejects when the echo does not come back within `timeoutMs`. */
export async function pingConnection(connection: Connection, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs)
  const start = performance.now()
  let stream: Awaited<ReturnType<Connection['newStream']>> | undefined
  try {
    stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true })
    const bytes = byteStream(stream)
    const data = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
    await bytes.write(data, { signal })
    const echo = await bytes.read({ bytes: PING_LENGTH, signal })
    const rtt = performance.now() - start
    const got = echo.subarray()
    if (!data.every((b, i) => got[i] === b)) throw new Error('ping echo did not match')
    await stream.close({ signal }).catch((err: unknown) => stream?.abort(toError(err)))
    return Math.round(rtt * 10) / 10
  } catch (err) {
    stream?.abort(toError(err))
    if (signal.aborted) throw new TimeoutError(`no ping echo within ${timeoutMs} ms`)
    throw toError(err)
  }
}

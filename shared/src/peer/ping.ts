/**
 * A ping on one given connection (stock `/ipfs/ping/1.0.0`, 32 random bytes echoed). libp2p's ping
 * service picks a connection by itself; we need *this* connection, so that a path is judged by bytes
 * that crossed it, never by `connection:open` events: @libp2p/webrtc can report a WebRTC connection
 * open that never carried a packet (symmetric NAT, UDP blocked).
 */
import type { Connection } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { PING_PAYLOAD_BYTES, PING_PROTOCOL } from '../constants.ts'
import { DEFAULT_PING_MAX_STREAMS } from '../defaults.ts'
import { TimeoutError, toError } from '../errors.ts'

/** Round-trip time in ms (0.1 ms resolution); rejects when no matching echo came back within `timeoutMs`. */
export async function pingConnection(connection: Connection, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs)
  const start = performance.now()
  let stream: Awaited<ReturnType<Connection['newStream']>> | undefined
  try {
    stream = await connection.newStream(PING_PROTOCOL, {
      signal,
      runOnLimitedConnection: true,
      maxOutboundStreams: DEFAULT_PING_MAX_STREAMS,
      // the protocol name goes out with the 32 bytes instead of a round trip before them: a ping (and
      // so a path's verification) costs one round trip, not two. A peer without the protocol still
      // answers no echo, and the timeout below still bounds everything
      negotiateFully: false,
    })
    const bytes = byteStream(stream)
    const data = crypto.getRandomValues(new Uint8Array(PING_PAYLOAD_BYTES))
    await bytes.write(data, { signal })
    const echo = await bytes.read({ bytes: PING_PAYLOAD_BYTES, signal })
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

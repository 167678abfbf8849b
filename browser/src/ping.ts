/**
 * Pings one specific connection (libp2p's ping service picks a connection by itself): 32 random bytes
 * out, the same 32 back over `/ipfs/ping/1.0.0`. A reply proves that traffic crossed *this* connection,
 * which is how the page decides that a WebRTC link is direct (DESIGN.md: events lie, bytes do not).
 */
import type { Connection } from '@libp2p/interface'

export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_BYTES = 32

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
}

/** Round-trip time in ms; rejects on timeout, reset or a wrong echo. */
export async function pingConnection(conn: Connection, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs)
  // the ping service allows one outbound ping stream per connection by default; ours are serialised
  // per connection by the caller, but a periodic ping may overlap the service's own
  const stream = await conn.newStream(PING_PROTOCOL, {
    signal,
    runOnLimitedConnection: true,
    maxOutboundStreams: 4,
  })
  try {
    const payload = crypto.getRandomValues(new Uint8Array(PING_BYTES))
    const echoed = new Uint8Array(PING_BYTES)
    let got = 0
    const started = performance.now()
    const done = new Promise<void>((resolve, reject) => {
      stream.addEventListener('message', (evt) => {
        const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
        echoed.set(chunk.subarray(0, PING_BYTES - got), got)
        got += chunk.byteLength
        if (got >= PING_BYTES) resolve()
      })
      stream.addEventListener('close', () => reject(new Error('ping stream closed before the echo')), {
        once: true,
      })
      signal.addEventListener('abort', () => reject(new Error(`no ping echo within ${timeoutMs} ms`)), {
        once: true,
      })
    })
    stream.send(payload)
    await done
    const rtt = performance.now() - started
    if (!equal(payload, echoed)) throw new Error('ping echo did not match')
    return rtt
  } finally {
    await stream.close().catch(() => stream.abort(new Error('ping close failed')))
  }
}

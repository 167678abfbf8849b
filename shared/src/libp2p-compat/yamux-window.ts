/**
 * Yamux window updates every half window instead of after every frame: the one reach into
 * @chainsafe/libp2p-yamux 8.0.1 (pinned). Its `YamuxStream.handleData` calls `sendWindowUpdate()` after
 * each data frame it receives, and that sends a WindowUpdate frame whenever any of the receive window is
 * used, so every frame a peer receives costs a frame back (header, noise encryption, a WebSocket frame
 * and a socket write on both ends). go-yamux and rust-yamux send one once the consumed part reaches half
 * the window; the yamux spec leaves the moment to the receiver. The remote's send window never runs
 * dry before the update leaves (it still holds the other half), and nothing on the wire changes shape:
 * stock peers interoperate. Measured (`bench/messaging-cpu.ts`, 10 peers, 1 KB pub/sub messages): about
 * a third of all socket writes were these updates.
 *
 * The muxer factory is wrapped: each muxer's `_newStream` (which creates inbound and outbound streams)
 * is replaced on the instance, and each stream's `sendWindowUpdate` with a check in front of the
 * original. Streams that are not Established (opening: the update carries SYN/ACK; paused: the original
 * only moves its epoch) go to the original at once. Contract test: yamux-window.test.ts.
 *
 * @example
 * ```ts
 * createLibp2p({ streamMuxers: [halfWindowUpdates(yamux())], ... })
 * ```
 */

/** `StreamState.Established` of @chainsafe/libp2p-yamux 8 (a TS enum, not exported). */
export const YAMUX_STATE_ESTABLISHED = 3

/** What we touch on a YamuxStream. */
interface YamuxStreamInternals {
  state: number
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

interface YamuxMuxerInternals {
  _newStream: (...args: unknown[]) => YamuxStreamInternals
}

function checkedStream(stream: YamuxStreamInternals): void {
  if (
    typeof stream.sendWindowUpdate !== 'function' ||
    typeof stream.recvWindow !== 'number' ||
    typeof stream.recvWindowCapacity !== 'number' ||
    typeof stream.state !== 'number'
  ) {
    throw new Error('libp2p-compat: yamux stream has no sendWindowUpdate/recvWindow/recvWindowCapacity/state')
  }
  const send = stream.sendWindowUpdate.bind(stream)
  stream.sendWindowUpdate = () => {
    const consumed = stream.recvWindow - stream.recvWindowCapacity
    if (stream.state === YAMUX_STATE_ESTABLISHED && consumed < stream.recvWindow / 2) return
    send()
  }
}

type MuxerFactory = { createStreamMuxer: (conn: never) => unknown }

/** Wraps `yamux()`: its streams send a window update once half their receive window is consumed. */
export function halfWindowUpdates<F extends (components: never) => MuxerFactory>(factory: F): F {
  return ((components: never) => {
    const f = factory(components)
    const create = f.createStreamMuxer.bind(f)
    f.createStreamMuxer = (conn: never) => {
      const muxer = create(conn) as YamuxMuxerInternals
      if (typeof muxer._newStream !== 'function')
        throw new Error('libp2p-compat: yamux muxer has no _newStream')
      const newStream = muxer._newStream.bind(muxer)
      muxer._newStream = (...args) => {
        const stream = newStream(...args)
        checkedStream(stream)
        return stream
      }
      return muxer
    }
    return f
  }) as F
}

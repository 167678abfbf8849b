/**
 * Dialer side of `/edgeswarm/files/1.0.0` to one peer: pipelined requests on one stream, answered in
 * order. Each request returns a promise of its answer frame; a closed or reset stream rejects every
 * outstanding request at once (the download then hands that peer's chunks to others).
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { CID } from 'multiformats/cid'
import { FILES_MAX_FRAME_BYTES } from '../../constants.ts'
import { toError } from '../../errors.ts'
import { FILES_STREAM_BUFFER_BYTES } from './server.ts'
import { CANCEL, decodeFrame, encodeFrame, type Frame, HAVE_REQ, WANT } from './wire.ts'

interface Waiter {
  resolve: (f: Frame) => void
  reject: (err: Error) => void
}

export class PeerLink {
  readonly peer: string
  readonly #stream: Stream
  readonly #lp: ReturnType<typeof lpStream>
  readonly #waiting: Waiter[] = []
  #closed: Error | undefined
  /** Frame bytes read (all answers, including headers and duplicates): the bench's overhead numbers. */
  bytesIn = 0
  bytesOut = 0

  constructor(peer: string, stream: Stream) {
    this.peer = peer
    this.#stream = stream
    this.#lp = lpStream(stream, {
      maxDataLength: FILES_MAX_FRAME_BYTES,
      maxBufferSize: FILES_STREAM_BUFFER_BYTES,
    })
    void this.#readLoop()
  }

  get closed(): boolean {
    return this.#closed !== undefined
  }

  /** Requests in flight on this link. */
  get pending(): number {
    return this.#waiting.length
  }

  haveReq(root: CID): Promise<Frame> {
    return this.#request({ type: HAVE_REQ, root })
  }

  want(cid: CID): Promise<Frame> {
    return this.#request({ type: WANT, cid })
  }

  /** Asks the peer to drop a queued WANT for `cid` (no answer of its own: that WANT is answered DONT_HAVE). */
  cancel(cid: CID): void {
    if (this.#closed !== undefined) return
    const bytes = encodeFrame({ type: CANCEL, cid })
    this.bytesOut += bytes.byteLength + 4
    this.#lp.write(bytes).catch((err: unknown) => this.close(toError(err)))
  }

  close(reason?: Error): void {
    if (this.#closed !== undefined) return
    this.#fail(reason ?? new Error('link closed'))
    if (reason === undefined)
      void this.#stream.close().catch(() => this.#stream.abort(new Error('close failed')))
    else this.#stream.abort(reason)
  }

  #request(f: Frame): Promise<Frame> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    const p = new Promise<Frame>((resolve, reject) => this.#waiting.push({ resolve, reject }))
    const bytes = encodeFrame(f)
    this.bytesOut += bytes.byteLength + 4
    this.#lp.write(bytes).catch((err: unknown) => this.close(toError(err)))
    return p
  }

  async #readLoop(): Promise<void> {
    try {
      while (this.#closed === undefined) {
        const buf = await this.#lp.read()
        this.bytesIn += buf.byteLength + 4
        const frame = decodeFrame(buf.subarray())
        const w = this.#waiting.shift()
        if (w === undefined) throw new Error('peer answered a request that was never sent')
        w.resolve(frame)
      }
    } catch (err) {
      this.close(toError(err))
    }
  }

  #fail(err: Error): void {
    this.#closed = err
    for (const w of this.#waiting.splice(0)) w.reject(err)
  }
}

/**
 * Listener side of `/edgeswarm/files/1.0.0`: answers have-map requests and block requests, in order,
 * from the local blockstore. Only verified blocks ever reach that store (the importer's own output, or
 * chunks the download checked against their CID), so whatever is stored may be served at once: a partial
 * download serves what it has.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import { FILES_MAX_FRAME_BYTES } from '../../constants.ts'
import { DEFAULT_FILES_MAX_PIPELINE } from '../../defaults.ts'
import { toError } from '../../errors.ts'
import type { EventSink } from '../../peer/service.ts'
import { readBlock } from './blocks.ts'
import { BLOCK, DONT_HAVE, decodeFrame, encodeFrame, HAVE, HAVE_REQ, WANT } from './wire.ts'

export interface HaveAnswer {
  kind: 'none' | 'all' | 'bitmap'
  bitmap: Uint8Array
}

export interface ServerComponents {
  blockstore: Blockstore
  /** This peer's have-map for a root: complete shares answer `all`, running downloads their bitmap. */
  haveOf: (root: CID) => Promise<HaveAnswer>
  events: EventSink
  /** Counts bytes served (for `files` stats and the bench's overhead). */
  onServed?: (peer: string, bytes: number) => void
}

/** Bytes a stream may buffer unread: a full pipeline of the largest frames. */
export const FILES_STREAM_BUFFER_BYTES = (DEFAULT_FILES_MAX_PIPELINE + 2) * FILES_MAX_FRAME_BYTES

export function filesHandler(c: ServerComponents) {
  return async (stream: Stream, connection: { remotePeer: { toString: () => string } }): Promise<void> => {
    const peer = connection.remotePeer.toString()
    const lp = lpStream(stream, {
      maxDataLength: FILES_MAX_FRAME_BYTES,
      maxBufferSize: FILES_STREAM_BUFFER_BYTES,
    })
    try {
      for (;;) {
        let frame: ReturnType<typeof decodeFrame>
        try {
          frame = decodeFrame((await lp.read()).subarray())
        } catch (err) {
          if (stream.readStatus !== 'readable' || (err as Error).name === 'UnexpectedEOFError') break
          throw err
        }
        switch (frame.type) {
          case HAVE_REQ: {
            const have = await c.haveOf(frame.root)
            await lp.write(encodeFrame({ type: HAVE, ...have }))
            break
          }
          case WANT: {
            const bytes = (await c.blockstore.has(frame.cid))
              ? await readBlock(c.blockstore, frame.cid)
              : undefined
            if (bytes === undefined) await lp.write(encodeFrame({ type: DONT_HAVE, cid: frame.cid }))
            else {
              await lp.write(encodeFrame({ type: BLOCK, cid: frame.cid, bytes }))
              c.onServed?.(peer, bytes.byteLength)
            }
            break
          }
          default:
            throw new Error(`peer sent a listener-only frame (type ${frame.type})`)
        }
      }
      await stream
        .close()
        .catch((err: unknown) =>
          c.events('files.serve-error', { peer, error: toError(err).message }, 'debug'),
        )
    } catch (err) {
      c.events('files.serve-error', { peer, error: toError(err).message }, 'debug')
      stream.abort(toError(err))
    }
  }
}

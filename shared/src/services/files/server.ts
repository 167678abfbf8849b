/**
 * Listener side of `/edgeswarm/files/1.0.0`: answers have-map requests and block requests, in order,
 * from the local blockstore. Only verified blocks ever reach that store (the importer's own output, or
 * chunks the download checked against their CID), so whatever is stored may be served at once: a partial
 * download serves what it has. Requests are read ahead of the answers: a CANCEL from the dialer (an
 * endgame duplicate another peer already delivered) turns a WANT still waiting its turn into a DONT_HAVE.
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
import { FirstPass, type QueuedWants } from './first-pass.ts'
import {
  BLOCK,
  CANCEL,
  DONT_HAVE,
  decodeFrame,
  encodeFrame,
  type Frame,
  HAVE,
  HAVE_REQ,
  WANT,
} from './wire.ts'

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
  /** The chunks of a file this peer holds complete (its first pass to a crowd, see FirstPass), else undefined. */
  leavesOf?: (root: CID) => Promise<CID[] | undefined>
}

/** Bytes a stream may buffer unread: a full pipeline of the largest frames. */
export const FILES_STREAM_BUFFER_BYTES = (DEFAULT_FILES_MAX_PIPELINE + 2) * FILES_MAX_FRAME_BYTES

/**
 * Requests a dialer may have queued on one stream: a full pipeline twice over (cancelled ones are still
 * answered) plus have-map refreshes. More is a misbehaving peer: its stream is ended.
 */
export const FILES_MAX_QUEUED_REQUESTS = 2 * DEFAULT_FILES_MAX_PIPELINE + 8

type Request = Extract<Frame, { type: typeof HAVE_REQ | typeof WANT }>

export function filesHandler(c: ServerComponents) {
  /** First passes of complete files to the streams downloading them, by root; gone with the last stream. */
  const passes = new Map<string, FirstPass>()
  const passOf = async (root: CID): Promise<FirstPass | undefined> => {
    const key = root.toString()
    const known = passes.get(key)
    if (known !== undefined) return known
    const leaves = await c.leavesOf?.(root)
    if (leaves === undefined) return undefined
    const pass = passes.get(key) ?? new FirstPass(leaves)
    passes.set(key, pass)
    return pass
  }

  return async (stream: Stream, connection: { remotePeer: { toString: () => string } }): Promise<void> => {
    const peer = connection.remotePeer.toString()
    const lp = lpStream(stream, {
      maxDataLength: FILES_MAX_FRAME_BYTES,
      maxBufferSize: FILES_STREAM_BUFFER_BYTES,
    })
    // requests are read ahead of the answers, so a CANCEL can reach a WANT still waiting its turn
    const queue: Array<{ frame: Request; cancelled: boolean }> = []
    const mine: QueuedWants = {
      *wanted() {
        for (const q of queue) if (q.frame.type === WANT && !q.cancelled) yield q.frame.cid
      },
    }
    let pass: { key: string; pass: FirstPass } | undefined
    const leavePass = () => {
      if (pass === undefined) return
      pass.pass.leave(mine)
      if (pass.pass.streams === 0) passes.delete(pass.key)
      pass = undefined
    }
    let ended = false
    let failed: Error | undefined
    let wake: (() => void) | undefined
    const reader = (async () => {
      try {
        for (;;) {
          let frame: Frame
          try {
            frame = decodeFrame((await lp.read()).subarray())
          } catch (err) {
            if (stream.readStatus !== 'readable' || (err as Error).name === 'UnexpectedEOFError') break
            throw err
          }
          if (frame.type === CANCEL) {
            const cid = frame.cid
            const q = queue.find((r) => !r.cancelled && r.frame.type === WANT && r.frame.cid.equals(cid))
            if (q !== undefined) q.cancelled = true
            continue
          }
          if (frame.type !== HAVE_REQ && frame.type !== WANT)
            throw new Error(`peer sent a listener-only frame (type ${frame.type})`)
          if (queue.length >= FILES_MAX_QUEUED_REQUESTS)
            throw new Error(`peer queued more than ${FILES_MAX_QUEUED_REQUESTS} requests`)
          queue.push({ frame, cancelled: false })
          wake?.()
        }
      } catch (err) {
        // garbage or a flood ends the stream at once, even while an answer is being prepared
        failed = toError(err)
        stream.abort(failed)
      } finally {
        ended = true
        wake?.()
      }
    })()
    try {
      for (;;) {
        if (failed !== undefined) throw failed
        const next = queue.shift()
        if (next === undefined) {
          if (ended) break
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          wake = undefined
          continue
        }
        const { frame } = next
        if (frame.type === HAVE_REQ) {
          let have = await c.haveOf(frame.root)
          if (have.kind === 'all' && pass?.key !== frame.root.toString()) {
            leavePass()
            const p = await passOf(frame.root)
            if (p !== undefined) {
              p.join(mine)
              pass = { key: frame.root.toString(), pass: p }
            }
          }
          if (have.kind === 'all' && pass?.pass.active) have = { kind: 'bitmap', bitmap: pass.pass.unsent() }
          await lp.write(encodeFrame({ type: HAVE, ...have }))
          continue
        }
        const admitted = next.cancelled ? false : (pass?.pass.admit(mine, frame.cid) ?? 'repeat')
        const bytes =
          admitted !== false && (await c.blockstore.has(frame.cid))
            ? await readBlock(c.blockstore, frame.cid)
            : undefined
        if (bytes === undefined) await lp.write(encodeFrame({ type: DONT_HAVE, cid: frame.cid }))
        else {
          mine.sendingFresh = admitted === 'fresh'
          try {
            await lp.write(encodeFrame({ type: BLOCK, cid: frame.cid, bytes }))
          } finally {
            mine.sendingFresh = false
          }
          c.onServed?.(peer, bytes.byteLength)
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
    leavePass()
    await reader
  }
}

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
import { DEFAULT_FILES_HAVE_REFRESH_MS, DEFAULT_FILES_MAX_PIPELINE } from '../../defaults.ts'
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
  /**
   * Asks a peer for its have-map of a root (a HAVE_REQ on a stream of our own): during a first pass the
   * seed polls its downloaders with it, so a chunk counts as spread when one reports it (see FirstPass).
   */
  probe?: (peer: string) => HaveProbe
}

/** One peer's have-maps, asked on one stream; `have` rejects when the stream failed (a new probe then). */
export interface HaveProbe {
  have(root: CID): Promise<HaveAnswer>
  close(): void
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
  const passes = new Map<string, Pass>()
  const passOf = async (root: CID): Promise<Pass | undefined> => {
    const key = root.toString()
    const known = passes.get(key)
    if (known !== undefined) return known
    const leaves = await c.leavesOf?.(root)
    if (leaves === undefined) return undefined
    const known2 = passes.get(key)
    if (known2 !== undefined) return known2
    const pass = new Pass(root, new FirstPass(leaves, { reports: c.probe !== undefined }), c)
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
      const p = passes.get(pass.key)
      p?.leave(mine)
      if (p !== undefined && p.pass.streams === 0) {
        p.end()
        passes.delete(pass.key)
      }
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
              p.join(mine, peer)
              pass = { key: frame.root.toString(), pass: p.pass }
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
            if (admitted === 'fresh') pass?.pass.written(frame.cid)
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

/**
 * A first pass and, when the listener can probe peers, the polling that feeds it their have-maps: every
 * DEFAULT_FILES_HAVE_REFRESH_MS while the rule is on, one HAVE_REQ in flight per downloader at most.
 */
class Pass {
  readonly pass: FirstPass
  readonly #root: CID
  readonly #c: ServerComponents
  readonly #members = new Map<QueuedWants, string>()
  readonly #probes = new Map<string, HaveProbe>()
  readonly #asking = new Set<string>()
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(root: CID, pass: FirstPass, c: ServerComponents) {
    this.#root = root
    this.pass = pass
    this.#c = c
  }

  join(s: QueuedWants, peer: string): void {
    this.pass.join(s)
    this.#members.set(s, peer)
    if (this.#c.probe !== undefined && this.#timer === undefined)
      this.#timer = setInterval(() => this.#poll(), DEFAULT_FILES_HAVE_REFRESH_MS)
  }

  leave(s: QueuedWants): void {
    this.pass.leave(s)
    const peer = this.#members.get(s)
    this.#members.delete(s)
    if (peer !== undefined && ![...this.#members.values()].includes(peer)) {
      this.#probes.get(peer)?.close()
      this.#probes.delete(peer)
    }
  }

  end(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const p of this.#probes.values()) p.close()
    this.#probes.clear()
  }

  #poll(): void {
    if (!this.pass.active) return
    for (const peer of new Set(this.#members.values())) {
      if (this.#asking.has(peer)) continue
      let probe = this.#probes.get(peer)
      if (probe === undefined) {
        probe = this.#c.probe!(peer)
        this.#probes.set(peer, probe)
      }
      this.#asking.add(peer)
      probe
        .have(this.#root)
        .then((answer) => this.pass.seen(answer))
        .catch((err: unknown) => {
          // a failed stream is dropped; the next round opens another
          this.#probes.get(peer)?.close()
          this.#probes.delete(peer)
          this.#c.events('files.probe-failed', { peer, error: toError(err).message }, 'debug')
        })
        .finally(() => this.#asking.delete(peer))
    }
  }
}

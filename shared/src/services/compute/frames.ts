/**
 * Wire format of `/edgeswarm/compute/1.0.0` (docs/PROTOCOLS.md): a stream of frames, each
 * `varint(length) || varint(headerLength) || header (JSON) || body (bytes)`, length at most
 * MAX_COMPUTE_FRAME_BYTES. The header is a small JSON object with a type `t`; the body carries a task
 * input, a result or the module. A frame that does not parse or has an unknown shape is dropped and
 * counted; an oversized length cannot be skipped safely, so it ends the stream.
 */
import type { Stream } from '@libp2p/interface'
import * as varint from 'uint8-varint'
import { MAX_COMPUTE_FRAME_BYTES } from '../../constants.ts'

/** Coordinator -> worker. */
export type ToWorker =
  | {
      t: 'job'
      job: string
      /** Raw SHA-256 CID of the module bytes (what the worker verifies). */
      module: string
      /** The module's CID in the file-sharing service, when the coordinator runs it. */
      moduleFile?: string
      timeMs: number
      maxOutputBytes: number
      maxMemoryPages: number
    }
  | {
      t: 'task'
      id: number
      index: number
      /** Run before the tasks already queued on the worker (a reassigned task whose earlier run was lost). */
      first?: boolean
    }
  | { t: 'blob'; cid: string }

/** Worker -> coordinator. */
export type ToCoordinator =
  | { t: 'ready'; slots: number }
  | { t: 'refuse'; reason: string }
  | { t: 'get'; cid: string }
  | { t: 'result'; id: number }
  | { t: 'error'; id: number; reason: string }

export interface Frame<H> {
  header: H
  body: Uint8Array
}

const enc = new TextEncoder()
const dec = new TextDecoder()

export function encodeFrame(
  header: ToWorker | ToCoordinator,
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const h = enc.encode(JSON.stringify(header))
  const inner = varint.encodingLength(h.length) + h.length + body.length
  if (inner > MAX_COMPUTE_FRAME_BYTES)
    throw new RangeError(`compute frame of ${inner} bytes exceeds the limit`)
  const out = new Uint8Array(varint.encodingLength(inner) + inner)
  let at = 0
  varint.encode(inner, out, at)
  at += varint.encodingLength(inner)
  varint.encode(h.length, out, at)
  at += varint.encodingLength(h.length)
  out.set(h, at)
  out.set(body, at + h.length)
  return out
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256

/** Validates a header from a coordinator; undefined when it is malformed. */
export function toWorkerHeader(v: unknown): ToWorker | undefined {
  const h = v as Record<string, unknown>
  switch (h?.t) {
    case 'job':
      return isStr(h.job) &&
        isStr(h.module) &&
        (h.moduleFile === undefined || isStr(h.moduleFile)) &&
        isInt(h.timeMs) &&
        isInt(h.maxOutputBytes) &&
        isInt(h.maxMemoryPages)
        ? (h as ToWorker)
        : undefined
    case 'task':
      return isInt(h.id) && isInt(h.index) && (h.first === undefined || typeof h.first === 'boolean')
        ? (h as ToWorker)
        : undefined
    case 'blob':
      return isStr(h.cid) ? (h as ToWorker) : undefined
    default:
      return undefined
  }
}

/** Validates a header from a worker; undefined when it is malformed. */
export function toCoordinatorHeader(v: unknown): ToCoordinator | undefined {
  const h = v as Record<string, unknown>
  switch (h?.t) {
    case 'ready':
      return isInt(h.slots) && h.slots >= 1 && h.slots <= 1024 ? (h as ToCoordinator) : undefined
    case 'refuse':
      return isStr(h.reason) ? (h as ToCoordinator) : undefined
    case 'get':
      return isStr(h.cid) ? (h as ToCoordinator) : undefined
    case 'result':
      return isInt(h.id) ? (h as ToCoordinator) : undefined
    case 'error':
      return isInt(h.id) && isStr(h.reason) ? (h as ToCoordinator) : undefined
    default:
      return undefined
  }
}

/**
 * Reads frames from a stream as they arrive and hands each valid one to `onFrame`; malformed ones go
 * to `onMalformed`. Resolves when the stream closes (for any reason).
 */
export function readFrames<H>(
  stream: Stream,
  validate: (v: unknown) => H | undefined,
  onFrame: (f: Frame<H>) => void,
  onMalformed: (why: string) => void,
): Promise<void> {
  let buf = new Uint8Array(0)
  const parse = () => {
    for (;;) {
      let len: number
      let lenBytes: number
      try {
        len = varint.decode(buf)
        lenBytes = varint.encodingLength(len)
      } catch {
        if (buf.length > 10) {
          onMalformed('bad frame length')
          stream.abort(new Error('malformed compute frame length'))
        }
        return
      }
      if (len > MAX_COMPUTE_FRAME_BYTES) {
        onMalformed(`frame of ${len} bytes`)
        stream.abort(new Error('oversized compute frame'))
        return
      }
      if (buf.length < lenBytes + len) return
      const frame = buf.subarray(lenBytes, lenBytes + len)
      buf = buf.slice(lenBytes + len)
      decodeOne(frame)
    }
  }
  const decodeOne = (frame: Uint8Array) => {
    try {
      const hLen = varint.decode(frame)
      const at = varint.encodingLength(hLen)
      if (at + hLen > frame.length) throw new Error('header past frame end')
      const header = validate(JSON.parse(dec.decode(frame.subarray(at, at + hLen))))
      if (header === undefined) throw new Error('unknown or invalid header')
      onFrame({ header, body: frame.slice(at + hLen) })
    } catch (err) {
      onMalformed((err as Error).message)
    }
  }
  return new Promise<void>((resolve) => {
    stream.addEventListener('message', (evt) => {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      const next = new Uint8Array(buf.length + chunk.length)
      next.set(buf)
      next.set(chunk, buf.length)
      buf = next
      parse()
    })
    stream.addEventListener('close', () => resolve(), { once: true })
  })
}

/** Sends a frame, waiting for the stream to drain when its buffer is full. */
export async function sendFrame(stream: Stream, frame: Uint8Array): Promise<void> {
  if (stream.status !== 'open') return
  if (!stream.send(frame)) await stream.onDrain()
}

/**
 * Wire format of `/edgeswarm/compute/2.0.0` (docs/PROTOCOLS.md): a stream of frames, each
 * `varint(length) || varint(headerLength) || header (JSON) || body (bytes)`, length at most
 * MAX_COMPUTE_FRAME_BYTES. The header is a small JSON object with a type `t`; the body carries the
 * module, or a batch of task inputs or results laid end to end (their lengths are in the header). A
 * frame that does not parse or has an unknown shape is dropped and counted; an oversized length cannot
 * be skipped safely, so it ends the stream.
 */
import type { Stream } from '@libp2p/interface'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import { MAX_COMPUTE_BATCH_TASKS, MAX_COMPUTE_FRAME_BYTES } from '../../constants.ts'

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
  /** A batch of tasks; their inputs follow each other in the body, in this order. */
  | { t: 'tasks'; tasks: TaskEntry[] }
  | { t: 'blob'; cid: string }

export interface TaskEntry {
  /** Assignment number (each replica of a task has its own). */
  id: number
  /** Input number. */
  index: number
  /** Input length (bytes). */
  len: number
  /** Run before the tasks already queued on the worker (a reassigned task whose earlier run was lost). */
  first?: boolean
}

/** One task's answer: its output (`len` bytes of the body) or the failure reason. */
export type ResultEntry =
  | {
      id: number
      len: number
      /** Time the task ran on the worker (ms): the coordinator sizes this worker's batches with it. */
      ms: number
    }
  | { id: number; error: string; ms: number }

/** Worker -> coordinator. */
export type ToCoordinator =
  | { t: 'ready'; slots: number }
  | { t: 'refuse'; reason: string }
  | { t: 'get'; cid: string }
  /** A batch of answers; the outputs follow each other in the body, in this order. */
  | { t: 'results'; results: ResultEntry[] }

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
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** A batch: 1..MAX_COMPUTE_BATCH_TASKS valid entries whose lengths add up to the body's. */
function isBatch(v: unknown, bodyLength: number, entry: (e: Record<string, unknown>) => boolean): boolean {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_COMPUTE_BATCH_TASKS) return false
  let sum = 0
  for (const e of v) {
    if (!isObj(e) || !entry(e)) return false
    sum += typeof e.len === 'number' ? e.len : 0
  }
  return sum === bodyLength
}

const isTask = (e: Record<string, unknown>) =>
  isInt(e.id) && isInt(e.index) && isInt(e.len) && (e.first === undefined || typeof e.first === 'boolean')
const isResult = (e: Record<string, unknown>) =>
  isInt(e.id) && isInt(e.ms) && (e.error === undefined ? isInt(e.len) : isStr(e.error) && e.len === undefined)

/** Validates a header from a coordinator; undefined when it is malformed. */
export function toWorkerHeader(v: unknown, bodyLength = 0): ToWorker | undefined {
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
    case 'tasks':
      return isBatch(h.tasks, bodyLength, isTask) ? (h as ToWorker) : undefined
    case 'blob':
      return isStr(h.cid) ? (h as ToWorker) : undefined
    default:
      return undefined
  }
}

/** Validates a header from a worker; undefined when it is malformed. */
export function toCoordinatorHeader(v: unknown, bodyLength = 0): ToCoordinator | undefined {
  const h = v as Record<string, unknown>
  switch (h?.t) {
    case 'ready':
      return isInt(h.slots) && h.slots >= 1 && h.slots <= 1024 ? (h as ToCoordinator) : undefined
    case 'refuse':
      return isStr(h.reason) ? (h as ToCoordinator) : undefined
    case 'get':
      return isStr(h.cid) ? (h as ToCoordinator) : undefined
    case 'results':
      return isBatch(h.results, bodyLength, isResult) ? (h as ToCoordinator) : undefined
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
  validate: (v: unknown, bodyLength: number) => H | undefined,
  onFrame: (f: Frame<H>) => void,
  onMalformed: (why: string) => void,
): Promise<void> {
  // chunks are kept as they came and a frame is copied out only when it spans several of them (a
  // frame of up to 1 MiB arrives in many chunks: joining them on each arrival copied it over and over)
  const frames = new LengthPrefixedDecoder({
    maxDataLength: MAX_COMPUTE_FRAME_BYTES,
    // a whole frame and the start of the next; past that, the length prefix is not a varint
    maxBufferSize: 2 * MAX_COMPUTE_FRAME_BYTES,
  })
  const decodeOne = (frame: Uint8Array) => {
    try {
      const hLen = varint.decode(frame)
      const at = varint.encodingLength(hLen)
      if (at + hLen > frame.length) throw new Error('header past frame end')
      const header = validate(JSON.parse(dec.decode(frame.subarray(at, at + hLen))), frame.length - at - hLen)
      if (header === undefined) throw new Error('unknown or invalid header')
      // a view: these bytes are this frame's alone (nothing writes to a received chunk)
      onFrame({ header, body: frame.subarray(at + hLen) })
    } catch (err) {
      onMalformed((err as Error).message)
    }
  }
  return new Promise<void>((resolve) => {
    stream.addEventListener('message', (evt) => {
      try {
        for (const frame of frames.decode(evt.data)) decodeOne(frame.subarray())
      } catch (err) {
        // an oversized or unreadable length cannot be skipped safely: the stream ends
        onMalformed(`bad frame length: ${(err as Error).message}`)
        stream.abort(new Error('malformed compute frame length'))
      }
    })
    stream.addEventListener('close', () => resolve(), { once: true })
  })
}

/** Sends a frame, waiting for the stream to drain when its buffer is full. */
export async function sendFrame(stream: Stream, frame: Uint8Array): Promise<void> {
  if (stream.status !== 'open') return
  if (!stream.send(frame)) await stream.onDrain()
}

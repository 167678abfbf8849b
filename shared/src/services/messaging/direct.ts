/**
 * `/edgeswarm/dm/1.0.0`: one stream per direct message over the (noise-encrypted, authenticated)
 * libp2p connection, direct or relayed. The dialer writes UTF-8 JSON `{"id","ts","body"}` and closes
 * its write side; the listener stores it (the sender is the connection's authenticated remote peer)
 * and answers `{"id","ok":true}` — the delivery receipt — or `{"id","ok":false,"error":"<code>"}`.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { DEFAULT_DM_MAX_BYTES } from '../../defaults.ts'

export interface DirectFrame {
  id: string
  ts: number
  body: string
}

export interface DirectReceipt {
  id: string
  ok: boolean
  error?: string
}

/** Frame overhead allowed on top of the body (bytes): ID, timestamp, JSON punctuation and escapes. */
const FRAME_SLACK = 512
const enc = new TextEncoder()
const dec = new TextDecoder()

function bytesOf(chunk: Uint8Array | { subarray: () => Uint8Array }): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray()
}

async function readAll(stream: Stream, max: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = []
  let n = 0
  for await (const chunk of stream) {
    const b = bytesOf(chunk)
    n += b.byteLength
    if (n > max) return undefined
    parts.push(b)
  }
  return concat(parts)
}

export function parseFrame(bytes: Uint8Array): DirectFrame | undefined {
  try {
    const v = JSON.parse(dec.decode(bytes)) as Partial<DirectFrame>
    if (typeof v.id !== 'string' || !/^[0-9a-f]{32}$/.test(v.id)) return undefined
    if (typeof v.ts !== 'number' || typeof v.body !== 'string') return undefined
    if (enc.encode(v.body).length > DEFAULT_DM_MAX_BYTES) return undefined
    return { id: v.id, ts: v.ts, body: v.body }
  } catch {
    return undefined
  }
}

/** Listener side: read one frame, hand it to `deliver`, answer the receipt. */
export async function receiveDirect(
  stream: Stream,
  connection: Connection,
  deliver: (from: string, frame: DirectFrame) => Promise<void>,
  onBad: (reason: string, from: string) => void,
): Promise<void> {
  const from = connection.remotePeer.toString()
  const bytes = await readAll(stream, DEFAULT_DM_MAX_BYTES * 6 + FRAME_SLACK)
  const frame = bytes === undefined ? undefined : parseFrame(bytes)
  if (frame === undefined) {
    onBad(bytes === undefined ? 'too_large' : 'malformed', from)
    stream.abort(new Error('bad direct message'))
    return
  }
  let receipt: DirectReceipt = { id: frame.id, ok: true }
  try {
    await deliver(from, frame)
  } catch {
    receipt = { id: frame.id, ok: false, error: 'store_failed' }
  }
  stream.send(enc.encode(JSON.stringify(receipt)))
  await stream.close()
}

/** Dialer side: send one frame, wait for the receipt (collected as it arrives, as transfer.ts does). */
export async function sendDirect(
  stream: Stream,
  frame: DirectFrame,
  signal: AbortSignal,
): Promise<DirectReceipt> {
  const onAbort = () => stream.abort(new Error('direct message timed out'))
  signal.addEventListener('abort', onAbort, { once: true })
  const reply: Uint8Array[] = []
  const closed = new Promise<void>((resolve) => {
    stream.addEventListener('message', (evt) => {
      reply.push(bytesOf(evt.data))
    })
    stream.addEventListener('close', () => resolve(), { once: true })
  })
  try {
    stream.send(enc.encode(JSON.stringify(frame)))
    await stream.close({ signal })
    await closed
    if (signal.aborted) throw new Error('no delivery receipt in time')
    const text = dec.decode(concat(reply))
    const r = JSON.parse(text) as DirectReceipt
    if (r.id !== frame.id || typeof r.ok !== 'boolean') throw new Error('receipt does not match the message')
    return r
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.byteLength
  }
  return out
}

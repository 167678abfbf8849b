/**
 * A bench-only sink protocol: the receiver counts bytes until the sender closes its write side, then
 * answers with the count as 8 bytes (big-endian) and closes. The sender measures until that answer,
 * so the time includes every byte having crossed.
 */
import type { Libp2p, Stream } from '@libp2p/interface'

export const SINK_PROTOCOL = '/edgeswarm/bench/sink/1.0.0'

export async function handleSink(node: Libp2p): Promise<void> {
  await node.handle(
    SINK_PROTOCOL,
    async (stream: Stream) => {
      let n = 0
      for await (const chunk of stream) n += chunk.byteLength
      const out = new Uint8Array(8)
      new DataView(out.buffer).setBigUint64(0, BigInt(n))
      stream.send(out)
      await stream.close()
    },
    { runOnLimitedConnection: true },
  )
}

/** Writes `total` bytes in `chunk`-sized messages with backpressure; resolves with the receiver's count. */
export async function sendToSink(stream: Stream, total: number, chunk = 64 * 1024): Promise<number> {
  const buf = new Uint8Array(chunk)
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31) & 0xff
  let sent = 0
  while (sent < total) {
    const n = Math.min(chunk, total - sent)
    if (!stream.send(n === chunk ? buf : buf.subarray(0, n))) await stream.onDrain()
    sent += n
  }
  await stream.close()
  const parts: Uint8Array[] = []
  for await (const c of stream) parts.push(c.subarray())
  const all = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0))
  let off = 0
  for (const p of parts) {
    all.set(p, off)
    off += p.byteLength
  }
  if (all.byteLength !== 8) throw new Error(`sink answered ${all.byteLength} bytes, expected 8`)
  return Number(new DataView(all.buffer).getBigUint64(0))
}

import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { NoDeflateWebSocket } from './websocket.ts'

describe('NoDeflateWebSocket', () => {
  it('survives a connection reset after its dial stopped listening (no unhandled error event)', async () => {
    // a server that accepts and resets at once: `ws` then emits 'error' (ECONNRESET / socket hang up)
    const server = createServer((sock) => sock.resetAndDestroy())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    try {
      const ws = new NoDeflateWebSocket(`ws://127.0.0.1:${port}/`)
      // as an abandoned libp2p dial: nobody listens for 'error' through the DOM-style API
      const closed = new Promise<number>((resolve) => ws.once('close', resolve))
      expect(await closed).toBe(1006)
      expect(ws.readyState).toBe(ws.CLOSED)
    } finally {
      server.close()
    }
  })
})

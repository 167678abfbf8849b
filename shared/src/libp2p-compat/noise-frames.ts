/**
 * Two reaches into @chainsafe/libp2p-noise 17.0.0 (pinned), both on its encrypted connection
 * (`EncryptedMessageStream`) and both leaving the bytes on the wire untouched:
 *
 * - **A frame decoder that does not throw to say "not enough bytes yet".** Noise reads frames with
 *   @libp2p/utils' `LengthPrefixedDecoder`, whose loop ends when the length decoder throws a RangeError,
 *   and noise's `uint16BEDecode` throws one whenever fewer than 2 bytes are buffered: at the end of every
 *   chunk that arrives. Building that error (a stack trace each time) was 6% of the CPU of 1 KB pub/sub
 *   traffic (`bench/messaging-cpu.ts`, profile). Answering "a frame of the largest allowed length"
 *   instead ends the same loop without an error: the decoder then waits for more bytes, which is what
 *   the RangeError made it do.
 * - **One buffer per encrypted chunk.** Noise's `encrypt` returns a list of two buffers per frame (the
 *   2-byte length, then the ciphertext), and @libp2p/websockets sends every buffer of a list as a
 *   WebSocket message of its own: two WebSocket frames, two socket writes and two `message` events at
 *   the far end for every frame. The frames are joined into one buffer (a copy of the ciphertext), so
 *   one chunk is one WebSocket message. Measured on 24 pub/sub peers with 1 KB messages
 *   (`node bench/messaging-cpu.ts --peers 24 --seconds 15 --degree 6`, strace): socket writes fell from
 *   3.1 to 1.5 per message copy, CPU from 1.9 to 1.3–1.5 ms per message per peer. WebSocket message
 *   boundaries mean nothing to libp2p (the connection is a byte stream), so any peer reads these.
 *
 * The encrypter factory is wrapped: the connection `secureInbound`/`secureOutbound` return gets its
 * `decoder.lengthDecoder` and its `encrypt` replaced. Contract test: noise-frames.test.ts.
 *
 * @example
 * ```ts
 * createLibp2p({ connectionEncrypters: [leanNoise(noise())], ... })
 * ```
 */
/** What we touch on noise's EncryptedMessageStream (public class fields and methods in 17.0.0). */
interface ConnectionInternals {
  decoder?: {
    lengthDecoder?: (data: Uint8Array | { length: number; getUint16: (at: number) => number }) => number
    maxDataLength?: number
  }
  encrypt?: (chunk: unknown) => Framed | Uint8Array
}

/** noise's encrypt output: a Uint8ArrayList (2-byte length, ciphertext, per frame). */
interface Framed {
  bufs: Uint8Array[]
  subarray: () => Uint8Array
}

type Secured = { connection: unknown }
type Encrypter = {
  secureInbound: (...args: never[]) => Promise<Secured>
  secureOutbound: (...args: never[]) => Promise<Secured>
}

/** Makes one secured connection's frame decoder stop without an exception (throws if it changed shape). */
export function quietDecoder(connection: unknown): void {
  const decoder = (connection as ConnectionInternals).decoder
  const decode = decoder?.lengthDecoder
  const max = decoder?.maxDataLength
  if (decoder === undefined || typeof decode !== 'function' || typeof max !== 'number') {
    throw new Error('libp2p-compat: noise connection has no decoder.lengthDecoder/maxDataLength')
  }
  // fewer than 2 bytes: "a frame of `max` bytes", which the buffer cannot hold yet, so the loop waits
  decoder.lengthDecoder = (data) => (data.length < 2 ? max : decode(data))
}

/** Makes one secured connection hand each encrypted chunk on as one buffer (throws if it changed shape). */
export function oneBufferFrames(connection: unknown): void {
  const c = connection as ConnectionInternals
  if (typeof c.encrypt !== 'function') throw new Error('libp2p-compat: noise connection has no encrypt')
  const encrypt = c.encrypt.bind(c) as (chunk: unknown) => Framed
  c.encrypt = (chunk) => {
    const framed = encrypt(chunk)
    // subarray() of a list of several buffers is one new buffer holding them all; the connection's
    // `send` takes a buffer as well as a list
    return framed.bufs.length > 1 ? framed.subarray() : framed
  }
}

/** Wraps `noise()`: its connections decode frames without throwing and send each chunk as one buffer. */
export function leanNoise<F extends (components: never) => Encrypter>(factory: F): F {
  return ((components: never) => {
    const encrypter = factory(components)
    for (const key of ['secureInbound', 'secureOutbound'] as const) {
      const secure = encrypter[key].bind(encrypter)
      encrypter[key] = async (...args: never[]) => {
        const result = await secure(...args)
        quietDecoder(result.connection)
        oneBufferFrames(result.connection)
        return result
      }
    }
    return encrypter
  }) as F
}

/**
 * A noise frame decoder that does not throw to say "not enough bytes yet": the one reach into
 * @chainsafe/libp2p-noise 17.0.0 (pinned). Its encrypted connection (`EncryptedMessageStream`) reads
 * frames with @libp2p/utils' `LengthPrefixedDecoder`, whose loop ends when the length decoder throws a
 * RangeError, and noise's `uint16BEDecode` throws one whenever fewer than 2 bytes are buffered: at the
 * end of every chunk that arrives. Building that error (a stack trace each time) was 6% of the CPU of
 * 1 KB pub/sub traffic (`bench/messaging-cpu.ts`, profile). Answering "a frame of the largest allowed
 * length" instead ends the same loop without an error: the decoder then waits for more bytes, which is
 * what the RangeError made it do. Bytes on the wire are untouched.
 *
 * The encrypter factory is wrapped: the connection `secureInbound`/`secureOutbound` return gets its
 * `decoder.lengthDecoder` replaced. Contract test: noise-decoder.test.ts.
 *
 * @example
 * ```ts
 * createLibp2p({ connectionEncrypters: [quietNoiseDecoder(noise())], ... })
 * ```
 */

/** What we touch on noise's EncryptedMessageStream (public class fields in 17.0.0). */
interface DecoderInternals {
  decoder?: {
    lengthDecoder?: (data: Uint8Array | { length: number; getUint16: (at: number) => number }) => number
    maxDataLength?: number
  }
}

type Secured = { connection: unknown }
type Encrypter = {
  secureInbound: (...args: never[]) => Promise<Secured>
  secureOutbound: (...args: never[]) => Promise<Secured>
}

/** Makes one secured connection's frame decoder stop without an exception (throws if it changed shape). */
export function quietDecoder(connection: unknown): void {
  const decoder = (connection as DecoderInternals).decoder
  const decode = decoder?.lengthDecoder
  const max = decoder?.maxDataLength
  if (decoder === undefined || typeof decode !== 'function' || typeof max !== 'number') {
    throw new Error('libp2p-compat: noise connection has no decoder.lengthDecoder/maxDataLength')
  }
  // fewer than 2 bytes: "a frame of `max` bytes", which the buffer cannot hold yet, so the loop waits
  decoder.lengthDecoder = (data) => (data.length < 2 ? max : decode(data))
}

/** Wraps `noise()`: its connections decode frames without throwing at the end of each chunk. */
export function quietNoiseDecoder<F extends (components: never) => Encrypter>(factory: F): F {
  return ((components: never) => {
    const encrypter = factory(components)
    for (const key of ['secureInbound', 'secureOutbound'] as const) {
      const secure = encrypter[key].bind(encrypter)
      encrypter[key] = async (...args: never[]) => {
        const result = await secure(...args)
        quietDecoder(result.connection)
        return result
      }
    }
    return encrypter
  }) as F
}

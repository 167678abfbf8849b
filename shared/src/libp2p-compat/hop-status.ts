/**
 * `HopMessage { type: STATUS, status }` of circuit-relay-v2 (libp2p relay v2 spec), the one message
 * our relay guard writes itself (to refuse a circuit before the stock server sees it). Encoded with
 * protons-runtime's writer, as the library's own generated codec does; the contract test decodes it
 * with that generated codec. Only the fields we write are modelled.
 */
import { type Codec, decodeMessage, encodeMessage, message } from 'protons-runtime'

/** HopMessage.Type.STATUS (relay v2 spec). */
const HOP_TYPE_STATUS = 2
/** Field numbers of HopMessage: 1 = type, 5 = status. */
const TAG_TYPE = (1 << 3) | 0
const TAG_STATUS = (5 << 3) | 0

/** circuit-relay-v2 status codes we send. */
export const HopStatus = { OK: 100, RESOURCE_LIMIT_EXCEEDED: 201, PERMISSION_DENIED: 202 } as const

export interface HopStatusMessage {
  status: number
}

let codec: Codec<HopStatusMessage, HopStatusMessage> | undefined

export function hopStatusCodec(): Codec<HopStatusMessage, HopStatusMessage> {
  codec ??= message<HopStatusMessage, HopStatusMessage>(
    (obj, w) => {
      w.uint32(TAG_TYPE)
      w.int32(HOP_TYPE_STATUS)
      w.uint32(TAG_STATUS)
      w.int32(obj.status)
    },
    (reader, length) => {
      const end = length === undefined ? reader.len : reader.pos + length
      const obj: HopStatusMessage = { status: 0 }
      while (reader.pos < end) {
        const tag = reader.uint32()
        if (tag === TAG_STATUS) obj.status = reader.int32()
        else reader.skipType(tag & 7)
      }
      return obj
    },
    // streaming decode is never used for this write-side message
    function* () {},
  )
  return codec
}

export function encodeHopStatus(status: number): Uint8Array {
  return encodeMessage({ status }, hopStatusCodec())
}

export function decodeHopStatus(bytes: Uint8Array): HopStatusMessage {
  return decodeMessage(bytes, hopStatusCodec())
}

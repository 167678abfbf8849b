/**
 * GossipSub's `fastMsgIdFn` for our StrictSign topics: a cheap key for a message as it arrived (author,
 * sequence number and signature, before any check), so a copy of a message already accepted is
 * recognised as a duplicate before its signature is verified again.
 *
 * Why: without a fast ID @libp2p/gossipsub 17 verifies every copy's Ed25519 signature (and imports the
 * author's key) before it looks the message up in its seen cache, and each peer receives up to D+1
 * copies of every message. Measured (`bench/messaging-cpu.ts`, 10 peers in one process): the
 * verifications were 0.6 of 3.3 ms of CPU per message per peer, about five per first receipt.
 *
 * Safe: GossipSub caches a fast ID only after the message passed validation (signature included), so a
 * forged message never makes the genuine one a duplicate; it is verified and rejected as before. Under
 * StrictSign the message ID is author + sequence number anyway, so the fast ID (which also includes the
 * signature) never merges two messages the seen cache keeps apart. The fast ID is local: nothing on the
 * wire changes. Contract test (GossipSub's order: fast ID, then signature, then seen cache):
 * fast-msg-id.test.ts.
 *
 * @example
 * ```ts
 * gossipsub({ ...gossipOptions(), fastMsgIdFn: fastMsgId })
 * ```
 */
import { toString as toBase64 } from 'uint8arrays/to-string'

const EMPTY = new Uint8Array(0)

/** The fields of an incoming RPC message the fast ID reads (GossipSub's `RPC.Message`). */
export interface RawMessageIds {
  from?: Uint8Array
  seqno?: Uint8Array
  signature?: Uint8Array
}

export function fastMsgId(msg: RawMessageIds): string {
  // base64 has no '.', so the three fields cannot run into each other
  return `${toBase64(msg.from ?? EMPTY, 'base64')}.${toBase64(msg.seqno ?? EMPTY, 'base64')}.${toBase64(msg.signature ?? EMPTY, 'base64')}`
}

/**
 * Validation of incoming pub/sub messages, run by GossipSub before it delivers or forwards one
 * (after its own StrictSign check: unsigned and badly signed messages never get here).
 *
 * Verdicts: `Reject` (invalid: counted against the neighbour's peer score, which graylists a flooder)
 * for oversized, malformed or unsealable data and for an author that floods us directly; `Ignore`
 * (dropped, not forwarded, no penalty) for rate excess seen through an honest forwarder.
 */
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { TOPIC_NAME_PATTERN } from '../../constants.ts'
import * as D from '../../defaults.ts'
import type { Payload, PayloadCodec } from './payload.ts'
import { RateLimiter } from './rate-limit.ts'
import type { DropReason } from './types.ts'

// GossipSub's TopicValidatorResult is a TS enum; its values are these strings
const ACCEPT = 'accept' as TopicValidatorResult
const IGNORE = 'ignore' as TopicValidatorResult
const REJECT = 'reject' as TopicValidatorResult

export interface ValidatorInit {
  codec: PayloadCodec
  /** Called for every dropped message with the reason and the neighbour that sent it. */
  onDrop: (reason: DropReason, from: string, topic: string) => void
  /** Called with each accepted message and its decoded payload, so the receiver need not decode it again. */
  onAccept?: (msg: Message, payload: Payload) => void
  now?: () => number
}

export function messageValidator(init: ValidatorInit): (peer: PeerId, msg: Message) => TopicValidatorResult {
  const perAuthor = new RateLimiter(D.DEFAULT_PUBSUB_RATE_PER_SECOND, D.DEFAULT_PUBSUB_RATE_BURST, init.now)
  const perNeighbour = new RateLimiter(
    D.DEFAULT_PUBSUB_RATE_PER_SECOND * 4,
    D.DEFAULT_PUBSUB_RATE_BURST * 4,
    init.now,
  )
  return (peer, msg) => {
    const from = peer.toString()
    const drop = (reason: DropReason, verdict: TopicValidatorResult) => {
      init.onDrop(reason, from, msg.topic)
      return verdict
    }
    if (msg.type !== 'signed') return drop('unsigned', REJECT)
    if (!TOPIC_NAME_PATTERN.test(msg.topic)) return drop('bad_topic', REJECT)
    if (msg.data.length > D.DEFAULT_PUBSUB_MAX_MESSAGE_BYTES) return drop('too_large', REJECT)
    const author = msg.from.toString()
    // an author flooding us itself is punished; the same excess via a forwarder is only dropped
    if (!perAuthor.take(author)) return drop('rate_limited', author === from ? REJECT : IGNORE)
    if (!perNeighbour.take(from)) return drop('rate_limited', IGNORE)
    let payload: Payload
    try {
      payload = init.codec.decode(msg.topic, msg.data)
    } catch (err) {
      return drop((err as Error).message === 'unsealable' ? 'unsealable' : 'malformed', REJECT)
    }
    if (new TextEncoder().encode(payload.body).length > D.DEFAULT_PUBSUB_MAX_MESSAGE_BYTES) {
      return drop('too_large', REJECT)
    }
    init.onAccept?.(msg, payload)
    return ACCEPT
  }
}

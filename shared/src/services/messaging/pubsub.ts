/**
 * The `pubsub` overlay service: topics over GossipSub (`@libp2p/gossipsub`, mounted as
 * `node.services.pubsub` through `libp2p()`), the same code in home nodes and tabs.
 *
 * @example
 * ```ts
 * const ps = ctx.service<PubSub>('pubsub')!
 * ps.on('chat', (m) => console.log(m.author, m.body))
 * await ps.publish('chat', 'hello')
 * ```
 */
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { TOPIC_NAME_PATTERN } from '../../constants.ts'
import * as D from '../../defaults.ts'
import { InvalidInputError, InvalidMessageError } from '../../errors.ts'
import type { PeerService, ServiceContext } from '../../peer/service.ts'
import { edgeswarmGossipsub, type GossipInternals, scoreTopic } from './gossip-options.ts'
import { type Payload, payloadCodec } from './payload.ts'
import { subscriptionQueue } from './queue.ts'
import { TopicPeerFinder } from './topic-peers.ts'
import type { DropReason, PubSub, PubSubMessage, PubSubStats } from './types.ts'
import { messageValidator } from './validator.ts'

export function checkTopic(topic: unknown): string {
  if (typeof topic !== 'string' || !TOPIC_NAME_PATTERN.test(topic)) {
    throw new InvalidInputError(
      `topic must be 1-64 of A-Z a-z 0-9 . _ ~ / -, got ${JSON.stringify(topic)?.slice(0, 80)}`,
    )
  }
  return topic
}

function checkBody(body: unknown): string {
  if (typeof body !== 'string') throw new InvalidInputError('message must be a string')
  const n = new TextEncoder().encode(body).length
  if (n > D.DEFAULT_PUBSUB_MAX_MESSAGE_BYTES) {
    throw new InvalidMessageError(`message is ${n} bytes, more than ${D.DEFAULT_PUBSUB_MAX_MESSAGE_BYTES}`)
  }
  return body
}

const emptyDrops = (): Record<DropReason, number> => ({
  too_large: 0,
  malformed: 0,
  bad_topic: 0,
  rate_limited: 0,
  unsealable: 0,
  unsigned: 0,
})

export function pubsubService(): PeerService<PubSub> {
  let finder: TopicPeerFinder | undefined
  let stopListening = () => {}
  return {
    name: 'pubsub',
    libp2p: () => ({ pubsub: edgeswarmGossipsub() as never }),
    async start(ctx: ServiceContext): Promise<PubSub> {
      const gs = ctx.node.services.pubsub as GossipSub & GossipInternals
      const codec = payloadCodec(ctx.networkKey)
      const handlers = new Map<string, Set<(m: PubSubMessage) => void>>()
      /** Topics we publish to without subscribing: discovery runs for them too. */
      const interest = new Set<string>()
      const stats = { published: 0, received: 0, dropped: emptyDrops() }
      // payloads the validator decoded (GossipSub hands the same Message object to the validator and to
      // the message event), so a received message is decoded, and in a private network opened, once
      const decoded = new WeakMap<Message, Payload>()
      const validate = messageValidator({
        codec,
        onAccept: (msg, payload) => decoded.set(msg, payload),
        onDrop: (reason, from, topic) => {
          stats.dropped[reason]++
          ctx.events('pubsub.dropped', { reason, from, topic }, 'debug')
        },
      })
      const topicsOf = () => [...new Set([...handlers.keys(), ...interest])]
      finder = new TopicPeerFinder({
        ctx,
        want: D.DEFAULT_PUBSUB_D_HI,
        topics: () => topicsOf().map((topic) => ({ topic, subscribers: gs.getSubscribers(topic).length })),
      })
      const onMessage = (evt: CustomEvent<{ propagationSource: { toString(): string }; msg: Message }>) => {
        const { msg, propagationSource } = evt.detail
        const set = handlers.get(msg.topic)
        if (msg.type !== 'signed' || set === undefined) return
        let payload = decoded.get(msg)
        if (payload === undefined) {
          try {
            payload = codec.decode(msg.topic, msg.data)
          } catch {
            return // the validator rejected it already
          }
        }
        stats.received++
        const m: PubSubMessage = {
          topic: msg.topic,
          author: msg.from.toString(),
          seq: msg.sequenceNumber.toString(),
          body: payload.body,
          sentAt: payload.t,
          receivedAt: Date.now(),
          from: propagationSource.toString(),
        }
        for (const h of set) h(m)
      }
      gs.addEventListener('gossipsub:message', onMessage as never)
      stopListening = () => gs.removeEventListener('gossipsub:message', onMessage as never)

      const join = (topic: string) => {
        scoreTopic(gs, topic)
        if (!gs.topicValidators.has(topic)) gs.topicValidators.set(topic, validate)
      }
      const on = (topic: string, handler: (m: PubSubMessage) => void) => {
        checkTopic(topic)
        join(topic)
        let set = handlers.get(topic)
        if (set === undefined) {
          set = new Set()
          handlers.set(topic, set)
          gs.subscribe(topic)
          ctx.events('pubsub.subscribed', { topic })
          finder?.kick()
        }
        set.add(handler)
        return () => {
          set.delete(handler)
          if (set.size > 0 || handlers.get(topic) !== set) return
          handlers.delete(topic)
          gs.unsubscribe(topic)
          ctx.events('pubsub.unsubscribed', { topic })
        }
      }
      const waitForTopicPeer = async (topic: string, signal?: AbortSignal) => {
        const deadline = Date.now() + D.DEFAULT_PUBSUB_PUBLISH_WAIT_MS
        while (gs.getSubscribers(topic).length === 0 && Date.now() < deadline && !signal?.aborted) {
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      return {
        on,
        subscribe: (topic, options = {}) => subscriptionQueue(on, checkTopic(topic), options.signal),
        async publish(topic, body, options = {}) {
          checkTopic(topic)
          checkBody(body)
          join(topic)
          if (!handlers.has(topic) && !interest.has(topic)) {
            interest.add(topic)
            finder?.kick()
          }
          await waitForTopicPeer(topic, options.signal)
          const data = codec.encode(topic, { t: Date.now(), body })
          const res = await gs.publish(topic, data)
          stats.published++
          ctx.events(
            'pubsub.published',
            { topic, bytes: data.length, recipients: res.recipients.length },
            'debug',
          )
          return { topic, bytes: data.length, recipients: res.recipients.length }
        },
        topics: () => [...handlers.keys()],
        peers: (topic) => ({
          subscribed: gs.getSubscribers(topic).map(String),
          mesh: gs.getMeshPeers(topic),
        }),
        stats: (): PubSubStats => ({
          published: stats.published,
          received: stats.received,
          dropped: { ...stats.dropped },
          graylisted: gs
            .getPeers()
            .map(String)
            .filter((p) => gs.getScore(p) < D.DEFAULT_PUBSUB_GRAYLIST_THRESHOLD),
        }),
      }
    },
    async stop() {
      finder?.stop()
      stopListening()
    },
  }
}

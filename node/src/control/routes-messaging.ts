/**
 * Control API routes of the messaging services (shared/src/services/messaging):
 * `POST /v1/pubsub/publish {topic, message}`, `POST /v1/pubsub/subscribe {topic}` (NDJSON: one line
 * `{"subscribed": topic}`, then one line per message), `GET /v1/pubsub/stats`,
 * `POST /v1/messages/send {to, message}`, `GET /v1/messages/inbox`.
 */
import { ControlError, InvalidInputError } from '#shared/errors.ts'
import type { ServiceHost } from '#shared/peer/service.ts'
import type { Messages, PubSub } from '#shared/services/messaging/types.ts'
import type { ControlHandler } from './server.ts'

function need<T>(host: ServiceHost, name: string): T {
  const s = host.get<T>(name)
  if (s === undefined) throw new ControlError(`the ${name} service is not running on this node`)
  return s
}

function str(body: Record<string, unknown>, key: string): string {
  const v = body[key]
  if (typeof v !== 'string') throw new InvalidInputError(`${key} must be a string, got ${typeof v}`)
  return v
}

async function* subscription(messages: AsyncIterable<unknown>, topic: string): AsyncGenerator<unknown> {
  // the subscription is in place once the iterator has started: tell the client before the first message
  const it = messages[Symbol.asyncIterator]()
  const first = it.next()
  yield { subscribed: topic }
  for (let r = await first; r.done !== true; r = await it.next()) yield r.value
}

export function messagingRoutes(host: ServiceHost): Record<string, ControlHandler> {
  return {
    'POST /v1/pubsub/publish': async (body, signal) =>
      need<PubSub>(host, 'pubsub').publish(str(body, 'topic'), str(body, 'message'), { signal }),
    'POST /v1/pubsub/subscribe': async (body, signal) => {
      const topic = str(body, 'topic')
      // subscribe() checks the topic now, so a bad one is a 400, not a failed stream
      return subscription(need<PubSub>(host, 'pubsub').subscribe(topic, { signal }), topic)
    },
    'GET /v1/pubsub/stats': async () => {
      const ps = need<PubSub>(host, 'pubsub')
      return { ...ps.stats(), topics: ps.topics().map((t) => ({ topic: t, ...ps.peers(t) })) }
    },
    'POST /v1/messages/send': async (body, signal) =>
      need<Messages>(host, 'messages').send(str(body, 'to'), str(body, 'message'), { signal }),
    'GET /v1/messages/inbox': async () => ({ messages: await need<Messages>(host, 'messages').inbox() }),
  }
}

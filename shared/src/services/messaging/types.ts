/**
 * The messaging services' APIs: `ctx.service<PubSub>('pubsub')` (topics over GossipSub) and
 * `ctx.service<Messages>('messages')` (direct messages, with an edge mailbox for offline peers).
 */

/** One pub/sub message as a subscriber sees it. */
export interface PubSubMessage {
  topic: string
  /** Peer ID of the author (GossipSub StrictSign: the author's key signed it). */
  author: string
  /** The author's sequence number (decimal string: a 64-bit counter). */
  seq: string
  body: string
  /** Author's clock at publish (ms since epoch). */
  sentAt: number
  /** Our clock at receipt (ms since epoch). */
  receivedAt: number
  /** The neighbour that handed it to us (the author itself or a mesh peer). */
  from: string
}

export interface PublishResult {
  topic: string
  /** Size on the wire (payload bytes, sealed in a private network). */
  bytes: number
  /** Neighbours the message was first sent to. */
  recipients: number
}

/** Why an incoming message was dropped (counted in `stats().dropped`). */
export type DropReason = 'too_large' | 'malformed' | 'bad_topic' | 'rate_limited' | 'unsealable' | 'unsigned'

export interface PubSubStats {
  published: number
  received: number
  dropped: Record<DropReason, number>
  /** Peers whose score is under the graylist threshold now. */
  graylisted: string[]
}

export interface PubSub {
  /** Publishes `body` (UTF-8) on `topic`; waits up to `DEFAULT_PUBSUB_PUBLISH_WAIT_MS` for a first topic peer. */
  publish: (topic: string, body: string, options?: { signal?: AbortSignal }) => Promise<PublishResult>
  /** Messages of `topic` from now until `signal` aborts (subscribes while anyone listens). */
  subscribe: (topic: string, options?: { signal?: AbortSignal }) => AsyncIterable<PubSubMessage>
  /** Calls `handler` for each message of `topic`; returns the unsubscribe function. */
  on: (topic: string, handler: (m: PubSubMessage) => void) => () => void
  topics: () => string[]
  /** Peers known to be subscribed to `topic`, and those in our mesh for it. */
  peers: (topic: string) => { subscribed: string[]; mesh: string[] }
  stats: () => PubSubStats
}

export interface DirectMessage {
  /** Sender-chosen unique ID (random, hex): receivers keep each ID once. */
  id: string
  from: string
  to: string
  body: string
  sentAt: number
  receivedAt: number
  /** How it arrived: over a live connection, or from the edge mailbox. */
  via: 'direct' | 'mailbox'
}

export interface SendReceipt {
  id: string
  to: string
  /** `delivered`: the recipient's receipt came back; `queued`: sealed in its mailbox on the edge. */
  status: 'delivered' | 'queued'
  /** Connection path for `delivered`: `direct` or `relayed`. */
  path?: 'direct' | 'relayed'
  ms: number
}

export interface Messages {
  send: (
    to: string,
    body: string,
    options?: { signal?: AbortSignal; mailboxOnly?: boolean },
  ) => Promise<SendReceipt>
  /** Received messages, oldest first. */
  inbox: () => Promise<DirectMessage[]>
  /** New messages as they arrive, until `signal` aborts. */
  watch: (options?: { signal?: AbortSignal }) => AsyncIterable<DirectMessage>
  /** Fetches the edge mailbox now; resolves with the number of new messages. */
  checkMailbox: () => Promise<number>
}

/**
 * Our GossipSub settings, in one place so the home node, the tab, tests, the benchmark and a stock
 * js-libp2p peer that wants to interoperate all use the same ones (docs/PROTOCOLS.md lists them).
 *
 * - Mesh degree D 4 (D_lo 3, D_hi 5, D_lazy 3), below GossipSub's 6: fewer copies of each message,
 *   the bulk of a subscriber's CPU (the numbers are in defaults.ts).
 * - StrictSign: every message carries its author's key, sequence number and signature; GossipSub
 *   rejects unsigned or badly signed messages before our validator sees them.
 * - `runOnLimitedConnection`: relayed circuits carry pub/sub (our relays do not mark them limited, but a
 *   home super-peer running the stock server might).
 * - Scoring on, tuned for chat: invalid messages cost `DEFAULT_PUBSUB_INVALID_MESSAGE_WEIGHT` x count²
 *   per topic, so a flooder crosses the graylist threshold after three; the mesh-delivery penalty is
 *   off (quiet chat topics would otherwise prune honest peers for sending little), and so is the IP
 *   colocation penalty (every relayed peer appears to come from its relay shard's IP, and a test or a
 *   household runs many peers on one address).
 * - IDONTWANT (GossipSub 1.2) sent for messages of `DEFAULT_PUBSUB_IDONTWANT_MIN_BYTES` or more only;
 *   those we receive are honoured whatever their size.
 * - A fast message ID (`fast-msg-id.ts`): copies of a message already accepted are dropped before their
 *   signature is verified again (local only, the wire is unchanged).
 */
import { type GossipsubOpts, gossipsub } from '@libp2p/gossipsub'
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score'
import * as D from '../../defaults.ts'
import { fastMsgId } from './fast-msg-id.ts'

/** Options for `gossipsub()`, shared by every edgeswarm peer. */
export function gossipOptions(): Partial<GossipsubOpts> {
  return {
    globalSignaturePolicy: 'StrictSign',
    D: D.DEFAULT_PUBSUB_D,
    Dlo: D.DEFAULT_PUBSUB_D_LO,
    Dhi: D.DEFAULT_PUBSUB_D_HI,
    Dscore: D.DEFAULT_PUBSUB_D_SCORE,
    Dout: D.DEFAULT_PUBSUB_D_OUT,
    Dlazy: D.DEFAULT_PUBSUB_D_LAZY,
    fastMsgIdFn: fastMsgId,
    runOnLimitedConnection: true,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    // a plain floodsub peer is not one of ours: no fallback, so the comparison stays honest
    fallbackToFloodsub: false,
    // flood our own messages to every topic peer with a good score (fast first hop, D+1 copies at most
    // for everyone else); GossipSub's default
    floodPublish: true,
    maxInboundDataLength: D.DEFAULT_PUBSUB_MAX_MESSAGE_BYTES + 1024,
    // IDONTWANT for large messages only: for chat-sized ones it costs more frames than the copies it saves
    idontwantMinDataSize: D.DEFAULT_PUBSUB_IDONTWANT_MIN_BYTES,
    scoreParams: {
      IPColocationFactorWeight: 0,
      topics: {},
    },
    scoreThresholds: {
      gossipThreshold: -10,
      publishThreshold: -50,
      graylistThreshold: D.DEFAULT_PUBSUB_GRAYLIST_THRESHOLD,
    },
  }
}

/** Score parameters of one topic (added when we subscribe). */
export function topicScoreParams(): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 10,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: D.DEFAULT_PUBSUB_INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: D.DEFAULT_PUBSUB_INVALID_MESSAGE_DECAY,
  })
}

/** The libp2p service factory (mounted as `node.services.pubsub`). */
export function edgeswarmGossipsub(): ReturnType<typeof gossipsub> {
  return gossipsub(gossipOptions())
}

/**
 * What we use of the GossipSub instance beyond its interface (public members of the class in
 * @libp2p/gossipsub 17.1, checked by gossip-options.test.ts in Node and Chromium): scores, mesh, and the live score params,
 * whose `topics` map gains an entry when we subscribe (createPeerScoreParams copies the map we pass,
 * so it cannot be filled from outside later).
 */
export interface GossipInternals {
  score: { params: { topics: Record<string, TopicScoreParams> } }
  getScore: (peerId: string) => number
  getMeshPeers: (topic: string) => string[]
}

/** Adds our score parameters for `topic` to a running GossipSub (idempotent). */
export function scoreTopic(gs: GossipInternals, topic: string): void {
  gs.score.params.topics[topic] ??= topicScoreParams()
}

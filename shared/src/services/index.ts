/**
 * The overlay services every peer runs, in start order (a later service may use an earlier one).
 * The home node and the browser both call this: a service is written once, in `shared/src/services/`.
 */
import type { PeerService } from '../peer/service.ts'
import { computeService } from './compute/index.ts'
import { filesService } from './files/service.ts'
import { type MessagesInit, messagesService } from './messaging/messages.ts'
import { pubsubService } from './messaging/pubsub.ts'
import { type RoutingInit, routingService } from './routing/service.ts'

export interface OverlayServicesInit {
  /** Names of services to leave out (e.g. a test peer that only relays). */
  disable?: readonly string[]
  /** Routing service options (e.g. the node's `--neighbours N`). */
  routing?: RoutingInit
  /** Messages service options (the mailbox drain the shell started early). */
  messages?: MessagesInit
}

export function overlayServices(init: OverlayServicesInit = {}): PeerService[] {
  const all: PeerService[] = [
    routingService(init.routing) as PeerService,
    filesService() as PeerService,
    pubsubService() as PeerService,
    messagesService(init.messages) as PeerService,
    computeService() as PeerService,
  ]
  return all.filter((s) => !(init.disable ?? []).includes(s.name))
}

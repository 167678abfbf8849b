/**
 * The overlay services every peer runs, in start order (a later service may use an earlier one).
 * The home node and the browser both call this: a service is written once, in `shared/src/services/`.
 */
import type { PeerService } from '../peer/service.ts'
import { messagesService } from './messaging/messages.ts'
import { pubsubService } from './messaging/pubsub.ts'

export interface OverlayServicesInit {
  /** Names of services to leave out (e.g. a test peer that only relays). */
  disable?: readonly string[]
}

export function overlayServices(init: OverlayServicesInit = {}): PeerService[] {
  const all: PeerService[] = [pubsubService(), messagesService()]
  return all.filter((s) => !(init.disable ?? []).includes(s.name))
}

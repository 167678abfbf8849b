/**
 * Control API routes of the routing service (shared/src/services/routing): a thin translation between
 * JSON bodies and the service's API. `routing/find` streams providers as NDJSON, first one first.
 *
 * - `POST /v1/routing/provide {cid}` → ProvideResult
 * - `POST /v1/routing/find {cid, limit?}` → NDJSON ProviderResult lines
 * - `POST /v1/routing/find-peer {peerId}` → PeerResult (NotFoundError when nobody knows it)
 * - `GET /v1/routing/status` → RoutingStatus (mode, routing table size, neighbours, target)
 */

import { InvalidInputError } from '#shared/errors.ts'
import type { ServiceHost } from '#shared/peer/service.ts'
import type { RoutingService } from '#shared/services/routing/service.ts'
import type { ControlHandler } from './server.ts'

function routingOf(host: ServiceHost): RoutingService {
  const r = host.get<RoutingService>('routing')
  if (r === undefined) throw new InvalidInputError('the routing service is not running on this node')
  return r
}

function limitOf(raw: unknown): number | undefined {
  if (raw === undefined) return undefined
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > 1000) {
    throw new InvalidInputError(`limit must be an integer in [1, 1000], got ${JSON.stringify(raw)}`)
  }
  return raw
}

export function routingRoutes(host: ServiceHost): Record<string, ControlHandler> {
  return {
    'POST /v1/routing/provide': async (body, signal) =>
      routingOf(host).provide(body.cid as string, { signal }),
    'POST /v1/routing/find': async (body, signal) => {
      const limit = limitOf(body.limit)
      return routingOf(host).findProviders(body.cid as string, {
        signal,
        ...(limit === undefined ? {} : { limit }),
      })
    },
    'POST /v1/routing/find-peer': async (body, signal) =>
      routingOf(host).findPeer(body.peerId as string, { signal }),
    'GET /v1/routing/status': async () => routingOf(host).status(),
  }
}

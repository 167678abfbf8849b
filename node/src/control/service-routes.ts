/**
 * Control API routes of the overlay services, one module per service beside this file
 * (`routes-<service>.ts`), merged here. A route only translates between the JSON body and the shared
 * service's API (`host.get(name)`): the service itself lives in shared/src/services/.
 */
import type { ServiceHost } from '#shared/peer/service.ts'
import { computeRoutes } from './routes-compute.ts'
import { filesRoutes } from './routes-files.ts'
import { messagingRoutes } from './routes-messaging.ts'
import { routingRoutes } from './routes-routing.ts'
import type { ControlHandler } from './server.ts'

export function serviceRoutes(host: ServiceHost): Record<string, ControlHandler> {
  return { ...routingRoutes(host), ...filesRoutes(host), ...messagingRoutes(host), ...computeRoutes(host) }
}

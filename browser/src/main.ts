/**
 * Entry of the browser peer: opening the edge's URL makes this tab a full peer of the overlay.
 * Starts the peer (app.ts), redraws the live view once a second, and installs `window.edgeswarm`.
 */

import type { FilesApi } from '#shared/services/files/service.ts'
import type { RoutingService } from '#shared/services/routing/service.ts'
import { BrowserApp } from './app.ts'
import { installHook } from './hook.ts'
import { mountChat } from './view/chat.ts'
import { renderCompute } from './view/compute.ts'
import { createFilesPanel } from './view/files.ts'
import { renderGraph, renderLegend } from './view/graph.ts'
import { renderConnections, renderErrors, renderIdentity, renderLog, renderRelays } from './view/panel.ts'
import { routingPanel } from './view/routing.ts'

const app = new BrowserApp()
const hook = installHook(app)

const routing = routingPanel(() => app.services?.get<RoutingService>('routing'))
const root = document.getElementById('app')!
const badge = document.getElementById('status')!
// panels with their own state live outside the redraw
root.after(createFilesPanel(() => app.services?.get<FilesApi>('files')))

function draw(): void {
  const snap = app.snapshot()
  const reserved = snap.relays.some((r) => r.state === 'reserved')
  badge.textContent = snap.errors.length > 0 && !reserved ? 'trouble' : reserved ? 'online' : 'connecting'
  badge.className = `badge ${badge.textContent}`
  const graph = document.createElement('section')
  graph.className = 'card graph-card'
  const title = document.createElement('h2')
  title.textContent = 'Overlay as this peer sees it'
  graph.append(title, renderGraph(snap, routing.last()), renderLegend())
  const left = document.createElement('div')
  left.className = 'col'
  left.append(
    renderIdentity(snap, () => hook.resetIdentity()),
    renderRelays(snap),
    renderConnections(snap),
    routing.element,
    renderCompute(app.services?.get('compute')),
  )
  routing.refresh()
  const right = document.createElement('div')
  right.className = 'col'
  right.append(graph, renderLog(app.events.events))
  root.replaceChildren(renderErrors(snap), left, right)
}

mountChat(app, root)
draw()
setInterval(draw, 1000)
app.events.subscribe(() => queueMicrotask(draw))
app.start().catch((err: unknown) => {
  console.error('edgeswarm:browser failed to start', err)
})

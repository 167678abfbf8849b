/**
 * The page's routing panel: DHT mode, routing table size, neighbours (against the target), and a
 * peer-ID lookup through the routing service (edge index and DHT), showing source, hops and ms.
 * Built once and kept (the page redraws every second; the lookup form must keep what was typed).
 */

import { toError } from '#shared/errors.ts'
import type { RoutingService, RoutingStatus } from '#shared/services/routing/service.ts'
import { h, short } from './dom.ts'

export function routingPanel(routing: () => RoutingService | undefined): {
  element: HTMLElement
  refresh: () => void
  /** The last status read (the graph marks neighbours from it), undefined before the first. */
  last: () => RoutingStatus | undefined
} {
  let last: RoutingStatus | undefined
  const status = h('div', { id: 'routing-status' }, 'routing: starting…')
  const input = h('input', {
    id: 'find-peer-input',
    type: 'text',
    placeholder: 'peer ID (12D3KooW…)',
    size: '40',
  }) as HTMLInputElement
  const button = h('button', { id: 'find-peer-button', type: 'button' }, 'find peer')
  const result = h('pre', { id: 'find-peer-result' }, '')
  button.addEventListener('click', () => {
    const r = routing()
    if (r === undefined) {
      result.textContent = 'routing service not running'
      return
    }
    result.textContent = 'looking up…'
    r.findPeer(input.value.trim())
      .then((p) => {
        result.textContent = `${p.peerId}\nsource ${p.source}, ${p.hops} hop(s), ${p.ms} ms\n${p.addrs.join('\n')}`
      })
      .catch((err: unknown) => {
        const e = toError(err)
        result.textContent = `${e.name}: ${e.message}`
      })
  })
  const element = h(
    'section',
    { class: 'card', id: 'routing' },
    h('h2', {}, 'Routing'),
    status,
    h('div', { class: 'kv' }, input, button),
    result,
  )
  const refresh = () => {
    const r = routing()
    if (r === undefined) return
    r.status()
      .then((s) => {
        last = s
        status.replaceChildren(
          h('div', { class: 'kv' }, h('span', {}, 'DHT mode'), h('span', { id: 'dht-mode' }, s.mode)),
          h(
            'div',
            { class: 'kv' },
            h('span', {}, 'routing table'),
            h('span', { id: 'routing-table-size' }, `${s.routingTableSize} peers`),
          ),
          h(
            'div',
            { class: 'kv' },
            h('span', {}, 'neighbours'),
            h('span', { id: 'neighbour-count' }, `${s.neighbours.length} / ${s.target}`),
          ),
          h(
            'div',
            { class: 'neighbours' },
            ...s.neighbours.map((n) => h('code', { title: n }, `${short(n)} `)),
          ),
        )
      })
      .catch((err: unknown) => {
        status.textContent = `routing status failed: ${toError(err).message}`
      })
  }
  return { element, refresh, last: () => last }
}

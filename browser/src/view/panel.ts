/** The text side of the page: identity, reachability, errors, relays, connections, recent decisions. */
import type { Snapshot, StampedEvent } from '../types.ts'
import { h, short } from './dom.ts'

function table(head: string[], rows: Array<Array<string | Node>>, empty: string, id: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty', id }, empty)
  return h(
    'table',
    { id },
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  )
}

export function renderErrors(snap: Snapshot): HTMLElement {
  const box = h('section', { id: 'errors', class: snap.errors.length > 0 ? 'errors' : 'errors none' })
  for (const e of snap.errors) box.append(h('div', { class: 'error' }, `⚠ ${e}`))
  if (snap.bootstrap.retryAt !== undefined) {
    const s = Math.max(0, Math.round((snap.bootstrap.retryAt - Date.now()) / 1000))
    box.append(h('div', { class: 'retry' }, `retrying the bootstrap in ${s} s`))
  }
  return box
}

export function renderIdentity(snap: Snapshot, onReset: () => void): HTMLElement {
  const button = h('button', { id: 'reset-identity', type: 'button' }, 'reset identity')
  button.addEventListener('click', onReset)
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'This peer'),
    h('div', { class: 'kv' }, h('span', {}, 'peer ID'), h('code', { id: 'peer-id' }, snap.peerId ?? '…')),
    h(
      'div',
      { class: 'kv' },
      h('span', {}, 'reachability'),
      h('span', { id: 'reachability' }, snap.reachability),
    ),
    h(
      'div',
      { class: 'kv' },
      h('span', {}, 'WebRTC'),
      h(
        'span',
        { id: 'webrtc', class: snap.webrtc.available ? '' : 'warn' },
        snap.webrtc.available ? 'available' : 'not available in this browser: relay only',
      ),
    ),
    h(
      'div',
      { class: 'kv' },
      h('span', {}, 'network'),
      h('span', {}, `${snap.bootstrap.network ?? '…'}${snap.bootstrap.private === true ? ' (private)' : ''}`),
    ),
    h('div', { class: 'kv' }, h('span', {}, ''), button),
  )
}

export function renderRelays(snap: Snapshot): HTMLElement {
  const rows = snap.relays
    .filter((r) => r.wanted)
    .map((r) => [
      `shard ${r.shard}`,
      h('code', { title: r.peerId }, short(r.peerId)),
      h('span', { class: `state ${r.state}` }, r.state),
      r.reason ??
        (r.retryAt !== undefined
          ? `retry in ${Math.max(0, Math.round((r.retryAt - Date.now()) / 1000))} s`
          : ''),
    ])
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Relays in use'),
    table(['shard', 'relay', 'state', 'note'], rows, 'no relay yet', 'relays'),
  )
}

export function renderConnections(snap: Snapshot): HTMLElement {
  const rows = [...snap.links]
    .sort((a, b) => Number(a.toRelay) - Number(b.toRelay) || a.peer.localeCompare(b.peer))
    .map((l) => [
      h('code', { title: l.peer }, short(l.peer)),
      l.role === 'browser' ? 'tab' : l.role,
      h(
        'span',
        {
          class: `path ${l.toRelay ? 'relay' : l.path === 'direct-webrtc' ? (l.verified === true ? 'direct' : 'pending') : l.path}`,
          'data-kind': l.path,
        },
        l.label,
      ),
      l.rttMs === undefined ? '…' : `${l.rttMs.toFixed(1)} ms`,
      l.direction,
    ])
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, `Connections (${snap.links.length})`),
    table(['peer', 'is', 'path', 'RTT', 'dir'], rows, 'no connections yet', 'connections'),
  )
}

export function renderLog(events: StampedEvent[]): HTMLElement {
  const list = h('ol', { class: 'log', id: 'log' })
  for (const e of events.slice(-12).reverse()) {
    const { ts, event, ...rest } = e
    const detail = Object.entries(rest)
      .map(([k, v]) => `${k}=${k === 'peer' || k === 'peerId' ? short(String(v)) : String(v)}`)
      .join(' ')
    list.append(h('li', {}, `${new Date(ts).toLocaleTimeString()} ${event} ${detail}`))
  }
  return h('section', { class: 'card' }, h('h2', {}, 'Recent decisions'), list)
}

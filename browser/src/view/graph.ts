/**
 * The overlay as this peer sees it, drawn as SVG: this tab in the middle, the relay shards on an inner
 * ring, peers on the outer ring. Edges: green = direct WebRTC (traffic verified), orange dashed =
 * relayed circuit, grey = WebSocket to a relay, light dotted = a peer's reservation on a relay (from the
 * bootstrap document). Neighbours of the bounded-degree overlay (the routing service's status) wear a
 * blue ring; the caption gives their count against the target and the DHT routing table's size.
 */
import type { RoutingStatus } from '#shared/services/routing/service.ts'
import type { Snapshot } from '../types.ts'
import { s, short } from './dom.ts'

export const EDGE_STYLE = {
  direct: { stroke: '#1a9a4a', width: 3, dash: undefined, label: 'direct WebRTC (traffic verified)' },
  relayed: { stroke: '#e07b00', width: 2.5, dash: '7 5', label: 'relayed circuit (via shard)' },
  pending: { stroke: '#7a5cc7', width: 2, dash: '2 4', label: 'WebRTC, not verified yet' },
  relay: { stroke: '#8a94a6', width: 2, dash: undefined, label: 'WebSocket to relay shard' },
  reservation: { stroke: '#c5cbd6', width: 1, dash: '1 4', label: "peer's reservation on a shard" },
} as const

type EdgeKind = keyof typeof EDGE_STYLE

interface Pos {
  x: number
  y: number
}

const W = 560
const H = 400

function ring(n: number, r: number, offset: number): Pos[] {
  return Array.from({ length: n }, (_, i) => {
    const a = offset + (2 * Math.PI * i) / Math.max(n, 1)
    return { x: W / 2 + r * Math.cos(a), y: H / 2 + r * Math.sin(a) }
  })
}

export function renderGraph(
  snap: Snapshot,
  routing?: Pick<RoutingStatus, 'neighbours' | 'routingTableSize' | 'target'>,
): SVGElement {
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'graph',
    role: 'img',
    'aria-label': 'overlay graph',
  })
  const edges = s('g')
  const nodes = s('g')
  svg.append(edges, nodes)
  const me = { x: W / 2, y: H / 2 }
  const relays = snap.relays.filter((r) => r.wanted || snap.links.some((l) => l.peer === r.peerId))
  const relayPos = new Map<string, Pos>()
  const relayRing = ring(relays.length, 95, -Math.PI / 2)
  relays.forEach((r, i) => {
    relayPos.set(r.peerId, relayRing[i]!)
  })

  const peers = new Set<string>()
  for (const l of snap.links) if (!l.toRelay) peers.add(l.peer)
  for (const k of snap.known) peers.add(k.peerId)
  const neighbours = new Set(routing?.neighbours ?? [])
  for (const n of neighbours) peers.add(n)
  const peerList = [...peers]
  const peerPos = new Map<string, Pos>()
  const peerRing = ring(peerList.length, 170, -Math.PI / 2 + 0.4)
  peerList.forEach((id, i) => {
    peerPos.set(id, peerRing[i]!)
  })

  const line = (a: Pos, b: Pos, kind: EdgeKind, data: Record<string, string> = {}) => {
    const st = EDGE_STYLE[kind]
    edges.append(
      s('line', {
        x1: a.x,
        y1: a.y,
        x2: b.x,
        y2: b.y,
        stroke: st.stroke,
        'stroke-width': st.width,
        'stroke-dasharray': st.dash,
        'data-kind': kind,
        ...data,
      }),
    )
  }

  // peers' reservations (from the bootstrap document): who is reachable through which shard
  for (const k of snap.known) {
    for (const a of k.addrs) {
      const relay = /\/p2p\/([^/]+)\/p2p-circuit/.exec(a)?.[1]
      const rp = relay === undefined ? undefined : relayPos.get(relay)
      const pp = peerPos.get(k.peerId)
      if (rp !== undefined && pp !== undefined) line(pp, rp, 'reservation')
    }
  }
  // our own connections
  for (const l of snap.links) {
    if (l.toRelay) {
      const rp = relayPos.get(l.peer)
      if (rp !== undefined) line(me, rp, 'relay')
      continue
    }
    const pp = peerPos.get(l.peer)
    if (pp === undefined) continue
    if (l.path === 'direct-webrtc') {
      line(me, pp, l.verified === true ? 'direct' : 'pending', { 'data-peer': l.peer })
    } else if (l.path === 'relayed') {
      const rp = l.relay === undefined ? undefined : relayPos.get(l.relay)
      // a relayed edge is drawn through its relay, so one sees which shard carries it
      if (rp !== undefined) {
        const mid = { x: (me.x + rp.x) / 2 + 6, y: (me.y + rp.y) / 2 + 6 }
        line(mid, rp, 'relayed')
        line(rp, pp, 'relayed', { 'data-peer': l.peer })
      } else {
        line(me, pp, 'relayed', { 'data-peer': l.peer })
      }
    }
  }

  const dot = (p: Pos, r: number, fill: string, label: string, sub?: string) => {
    nodes.append(s('circle', { cx: p.x, cy: p.y, r, fill, stroke: '#fff', 'stroke-width': 2 }))
    nodes.append(s('text', { x: p.x, y: p.y + r + 13, 'text-anchor': 'middle', class: 'lbl' }, label))
    if (sub !== undefined)
      nodes.append(s('text', { x: p.x, y: p.y + r + 25, 'text-anchor': 'middle', class: 'sub' }, sub))
  }
  for (const r of relays) {
    const fill = r.state === 'reserved' ? '#4a5568' : r.state === 'connecting' ? '#8a94a6' : '#d0d4dc'
    dot(relayPos.get(r.peerId)!, 13, fill, `shard ${r.shard}`, r.state)
  }
  for (const id of peerList) {
    const ls = snap.links.filter((l) => l.peer === id)
    const direct = ls.some((l) => l.path === 'direct-webrtc' && l.verified === true)
    const fill = direct ? '#1a9a4a' : ls.length > 0 ? '#e07b00' : '#b8bfcc'
    const role = ls.find((l) => l.role !== 'peer')?.role
    if (neighbours.has(id)) {
      const p = peerPos.get(id)!
      nodes.append(
        s('circle', {
          cx: p.x,
          cy: p.y,
          r: 14,
          fill: 'none',
          stroke: '#2563eb',
          'stroke-width': 2,
          'data-neighbour': id,
        }),
      )
    }
    dot(
      peerPos.get(id)!,
      10,
      fill,
      short(id),
      role === 'browser' ? 'tab' : role === 'node' ? 'node' : undefined,
    )
  }
  dot(me, 16, '#2563eb', snap.peerId === undefined ? 'this tab' : `you ${short(snap.peerId)}`)
  if (routing !== undefined) {
    nodes.append(
      s(
        'text',
        { x: 8, y: H - 8, class: 'sub', id: 'graph-routing' },
        `neighbours ${routing.neighbours.length} / ${routing.target} · routing table ${routing.routingTableSize} peers`,
      ),
    )
  }
  return svg
}

export function renderLegend(): HTMLElement {
  const ul = document.createElement('ul')
  ul.className = 'legend'
  for (const st of Object.values(EDGE_STYLE)) {
    const li = document.createElement('li')
    const sw = s('svg', { width: 36, height: 10 })
    sw.append(
      s('line', {
        x1: 0,
        y1: 5,
        x2: 36,
        y2: 5,
        stroke: st.stroke,
        'stroke-width': st.width,
        'stroke-dasharray': st.dash,
      }),
    )
    li.append(sw, ` ${st.label}`)
    ul.append(li)
  }
  const li = document.createElement('li')
  const ring = s('svg', { width: 36, height: 14 })
  ring.append(s('circle', { cx: 18, cy: 7, r: 5, fill: 'none', stroke: '#2563eb', 'stroke-width': 2 }))
  li.append(ring, ' neighbour (bounded-degree overlay: kept, counted against the target)')
  ul.append(li)
  return ul
}

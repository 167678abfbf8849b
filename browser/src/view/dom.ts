/** Tiny DOM and SVG builders: text goes through textContent only (peer data is never parsed as HTML). */

type Attrs = Record<string, string | number | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v))
  el.append(...children)
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'

export function s(tag: string, attrs: Attrs = {}, text?: string): SVGElement {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v))
  if (text !== undefined) el.textContent = text
  return el
}

export function short(id: string): string {
  return `…${id.slice(-6)}`
}

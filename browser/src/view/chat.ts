/**
 * The chat panel: pub/sub topics (join, read, send) and direct messages (send to a peer ID, with the
 * delivery status; received messages, including those the edge mailbox held while the tab was closed).
 * Built once and kept outside the once-a-second redraw, so typing is never interrupted; it talks to
 * the shared services only (`pubsub`, `messages`), as the CLI does through the daemon.
 */
import type { Messages, PubSub, PubSubMessage } from '#shared/services/messaging/types.ts'
import type { BrowserApp } from '../app.ts'
import { h, short } from './dom.ts'

/** Messages kept on screen per topic (older ones scroll away). */
const SHOWN_PER_TOPIC = 200

const time = (ms: number) => new Date(ms).toLocaleTimeString()

function topicsView(pubsub: () => PubSub | undefined): HTMLElement {
  const topic = h('input', { id: 'chat-topic', placeholder: 'topic, e.g. lobby', value: 'lobby' })
  const join = h('button', { id: 'chat-join', type: 'button' }, 'join')
  const tabs = h('div', { id: 'chat-topics', class: 'tabs' })
  const log = h('ul', { id: 'chat-log', class: 'chat-log' })
  const input = h('input', { id: 'chat-input', placeholder: 'message', autocomplete: 'off' })
  const send = h('button', { id: 'chat-send', type: 'button' }, 'send')
  const status = h('div', { id: 'chat-status', class: 'empty' })
  const logs = new Map<string, HTMLElement[]>()
  let current: string | undefined

  const show = (t: string) => {
    current = t
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b.textContent === t)
    log.replaceChildren(...(logs.get(t) ?? []))
  }
  const add = (m: PubSubMessage) => {
    const li = h(
      'li',
      { class: 'message', 'data-topic': m.topic, 'data-author': m.author, 'data-seq': m.seq },
      h('span', { class: 'when' }, time(m.receivedAt)),
      h('code', { title: m.author }, short(m.author)),
      h('span', { class: 'body' }, m.body),
    )
    const list = logs.get(m.topic) ?? []
    list.push(li)
    if (list.length > SHOWN_PER_TOPIC) list.shift()
    logs.set(m.topic, list)
    if (m.topic === current) show(m.topic)
  }
  join.addEventListener('click', () => {
    const ps = pubsub()
    const t = topic.value.trim()
    if (ps === undefined || t === '' || logs.has(t)) return t === '' ? undefined : show(t)
    try {
      ps.on(t, add)
    } catch (err) {
      status.textContent = (err as Error).message
      return
    }
    logs.set(t, [])
    const tab = h('button', { type: 'button', 'data-topic': t }, t)
    tab.addEventListener('click', () => show(t))
    tabs.append(tab)
    status.textContent = `joined ${t}`
    show(t)
  })
  const submit = () => {
    const ps = pubsub()
    const body = input.value
    if (ps === undefined || current === undefined || body === '') return
    const t = current
    input.value = ''
    ps.publish(t, body)
      .then((r) => {
        add({ topic: t, author: 'me', seq: '', body, sentAt: Date.now(), receivedAt: Date.now(), from: 'me' })
        status.textContent = `sent to ${r.recipients} peers`
      })
      .catch((err: Error) => {
        status.textContent = `not sent: ${err.message}`
      })
  }
  send.addEventListener('click', submit)
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') submit()
  })
  return h(
    'div',
    {},
    h('div', { class: 'row' }, topic, join),
    tabs,
    log,
    h('div', { class: 'row' }, input, send),
    status,
  )
}

function directView(messages: () => Messages | undefined): HTMLElement {
  const to = h('input', { id: 'dm-to', placeholder: 'peer ID (12D3Koo…)', autocomplete: 'off' })
  const body = h('input', { id: 'dm-body', placeholder: 'direct message', autocomplete: 'off' })
  const send = h('button', { id: 'dm-send', type: 'button' }, 'send')
  const status = h('div', { id: 'dm-status', class: 'empty' })
  const inbox = h('ul', { id: 'dm-inbox', class: 'chat-log' })
  send.addEventListener('click', () => {
    const dm = messages()
    if (dm === undefined || to.value.trim() === '' || body.value === '') return
    const text = body.value
    body.value = ''
    status.textContent = 'sending…'
    dm.send(to.value.trim(), text)
      .then((r) => {
        status.textContent =
          r.status === 'delivered'
            ? `delivered (${r.path}, ${r.ms} ms)`
            : 'recipient offline: sealed in its mailbox on the edge, delivered when it returns'
        status.dataset.status = r.status
      })
      .catch((err: Error) => {
        status.textContent = `not sent: ${err.message}`
        status.dataset.status = 'failed'
      })
  })
  const refresh = async () => {
    const dm = messages()
    if (dm === undefined) return
    const list = await dm.inbox()
    inbox.replaceChildren(
      ...list
        .slice(-SHOWN_PER_TOPIC)
        .map((m) =>
          h(
            'li',
            { class: 'message', 'data-from': m.from, 'data-via': m.via, 'data-id': m.id },
            h('span', { class: 'when' }, time(m.sentAt)),
            h('code', { title: m.from }, short(m.from)),
            h('span', { class: 'body' }, m.body),
            h('span', { class: 'via' }, m.via === 'mailbox' ? ' (held by the edge while you were away)' : ''),
          ),
        ),
    )
  }
  setInterval(() => void refresh().catch(() => undefined), 1_000)
  return h('div', {}, h('div', { class: 'row' }, to), h('div', { class: 'row' }, body, send), status, inbox)
}

/** Builds the panel once and puts it after `anchor`. */
export function mountChat(app: BrowserApp, anchor: HTMLElement): void {
  const panel = h(
    'section',
    { id: 'chat', class: 'card chat' },
    h('h2', {}, 'Chat (pub/sub topics)'),
    topicsView(() => app.services?.get<PubSub>('pubsub')),
    h('h2', {}, 'Direct messages'),
    directView(() => app.services?.get<Messages>('messages')),
  )
  anchor.after(panel)
}

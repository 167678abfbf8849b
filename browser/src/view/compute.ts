/**
 * The "contribute CPU" switch: while on, this tab is a compute worker, running tasks of other peers'
 * jobs in Web Workers (sandboxed: no imports, a memory cap, killed past the time limit).
 */
import type { Compute } from '#shared/services/compute/index.ts'
import { defaultBrowserSlots, webWorkerExecutor } from '../compute/web-worker-executor.ts'
import { h } from './dom.ts'

let busy = false

async function toggle(compute: Compute, on: boolean): Promise<void> {
  if (busy) return
  busy = true
  try {
    if (on) await compute.startWorker(webWorkerExecutor(defaultBrowserSlots()))
    else await compute.stopWorker()
  } finally {
    busy = false
  }
}

export function renderCompute(compute: Compute | undefined): HTMLElement {
  if (compute === undefined)
    return h('section', { class: 'card', id: 'compute' }, h('h2', {}, 'Compute'), 'off')
  const info = compute.workerInfo()
  const box = h('input', { type: 'checkbox', id: 'contribute-cpu' }) as HTMLInputElement
  box.checked = info.enabled
  box.addEventListener('change', () => void toggle(compute, box.checked))
  return h(
    'section',
    { class: 'card', id: 'compute' },
    h('h2', {}, 'Compute'),
    h('label', {}, box, ` contribute CPU (${defaultBrowserSlots()} Web Workers)`),
    h(
      'div',
      { class: 'kv' },
      h('span', {}, 'tasks'),
      h(
        'span',
        { id: 'compute-tasks' },
        info.enabled
          ? `${info.tasks} done, ${info.running} running, ${info.failed} failed`
          : 'not contributing',
      ),
    ),
  )
}

/**
 * The page's file-sharing panel: share files (picker or drag-and-drop), download by CID with progress
 * and the peers in use, save the result. Built once and kept outside the once-a-second redraw, so a
 * half-typed CID or a running download survives it. The service itself is the shared `files` service
 * (blocks in IndexedDB), reachable from tests as `window.edgeswarm.service('files')`.
 */
import type { DownloadProgress } from '#shared/services/files/download.ts'
import type { FilesApi, SharedFile } from '#shared/services/files/service.ts'
import { h } from './dom.ts'

const MiB = 1024 * 1024
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`

function progressText(p: DownloadProgress): string {
  const pct = p.totalBytes > 0 ? Math.floor((p.bytes * 100) / p.totalBytes) : 100
  const eta = p.etaMs === null ? '?' : `${Math.ceil(p.etaMs / 1000)} s`
  return `${pct}%  ${mib(p.bytes)} / ${mib(p.totalBytes)}  ${(p.rateBytesPerSec / 1e6).toFixed(1)} MB/s  peers ${p.peers}  ETA ${eta}`
}

async function* fileChunks(file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    yield value
  }
}

/** Offers `bytes` as a download named `name` (the browser's own save dialog). */
function save(name: string, parts: Uint8Array[]): void {
  const url = URL.createObjectURL(new Blob(parts as BlobPart[]))
  const a = h('a', { href: url, download: name })
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export function createFilesPanel(files: () => FilesApi | undefined): HTMLElement {
  const picker = h('input', { type: 'file', id: 'files-picker', multiple: 'multiple' })
  const drop = h('div', { class: 'drop', id: 'files-drop' }, 'drop files here to share them')
  const shareOut = h('div', { id: 'files-share-result', class: 'kv' })
  const cidInput = h('input', { type: 'text', id: 'files-cid', placeholder: 'CID to download', size: 60 })
  const getButton = h('button', { type: 'button', id: 'files-get' }, 'download')
  const progress = h('div', { id: 'files-progress' })
  const list = h('ul', { id: 'files-list' })
  const status = (el: HTMLElement, text: string, cls = '') => {
    el.textContent = text
    el.className = cls
  }

  const refresh = async () => {
    const f = files()
    if (f === undefined) return
    const items: SharedFile[] = await f.list()
    list.replaceChildren(
      ...items.map((x) => h('li', {}, h('code', {}, x.cid), `  ${x.name}  ${mib(x.bytes)}  (${x.origin})`)),
    )
  }

  const share = async (picked: File[]) => {
    const f = files()
    if (f === undefined || picked.length === 0) return
    status(shareOut, `sharing ${picked.length} file(s)…`)
    try {
      const entries = picked.map((p) => ({ path: p.name, content: fileChunks(p) }))
      const rec = await f.share(entries, {
        name: picked.map((p) => p.name).join(', '),
        wrap: picked.length > 1,
      })
      status(shareOut, rec.cid, 'cid')
      shareOut.dataset.cid = rec.cid
      await refresh()
    } catch (err) {
      status(shareOut, `share failed: ${(err as Error).message}`, 'warn')
    }
  }

  picker.addEventListener('change', () => void share([...(picker.files ?? [])]))
  drop.addEventListener('dragover', (e) => {
    e.preventDefault()
    drop.classList.add('over')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (e) => {
    e.preventDefault()
    drop.classList.remove('over')
    void share([...(e.dataTransfer?.files ?? [])])
  })

  getButton.addEventListener('click', async () => {
    const f = files()
    const cid = cidInput.value.trim()
    if (f === undefined || cid === '') return
    getButton.setAttribute('disabled', 'disabled')
    status(progress, 'looking for peers…')
    try {
      const r = await f.get(cid, { onProgress: (p) => status(progress, progressText(p)) })
      status(
        progress,
        `done: ${mib(r.bytes)} in ${(r.ms / 1000).toFixed(1)} s from ${r.peers.length} peers`,
        'done',
      )
      for await (const e of f.export(cid)) {
        if (e.type !== 'file') continue
        const parts: Uint8Array[] = []
        for await (const p of e.content()) parts.push(p)
        save(e.path === '' ? cid : e.path.replaceAll('/', '_'), parts)
      }
      await refresh()
    } catch (err) {
      status(progress, `download failed: ${(err as Error).message}`, 'warn')
    } finally {
      getButton.removeAttribute('disabled')
    }
  })

  const panel = h(
    'section',
    { class: 'card', id: 'files' },
    h('h2', {}, 'Files'),
    h('div', { class: 'kv' }, h('span', {}, 'share'), picker),
    drop,
    shareOut,
    h('div', { class: 'kv' }, h('span', {}, 'get'), cidInput, getButton),
    progress,
    h('h3', {}, 'Shared by this tab'),
    list,
  )
  const timer = setInterval(() => {
    if (files() === undefined) return
    clearInterval(timer)
    void refresh()
  }, 500)
  return panel
}

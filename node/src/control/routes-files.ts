/**
 * Control API routes of the `files` service. Paths arrive absolute (the CLI resolves them against its
 * own working directory, not the daemon's).
 *
 * - `POST /v1/files/share {path, name?}` → the share record (a directory is shared as one tree);
 * - `POST /v1/files/get {cid, out, maxBytes?, findTimeoutMs?}` → NDJSON: `{type:'progress',...}` lines,
 *   then `{type:'done', content:'file'|'directory', ...summary}`. The output path is checked for writability before anything is
 *   downloaded; content goes to `<out>.edgeswarm-partial` and is renamed only when complete;
 * - `GET /v1/files` → the shares; `POST /v1/files/unshare {cid}` → `{cid, removed}`.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { access, constants, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { InvalidInputError, StorageError, toError } from '#shared/errors.ts'
import type { ServiceHost } from '#shared/peer/service.ts'
import type { DownloadProgress } from '#shared/services/files/download.ts'
import type { ImportEntry } from '#shared/services/files/import.ts'
import type { FilesApi } from '#shared/services/files/service.ts'
import type { ControlHandler } from './server.ts'

/** Suffix of an output still being written; renamed away only when complete. */
export const PARTIAL_SUFFIX = '.edgeswarm-partial'
/** Progress lines per second at most (the CLI redraws its bar on each). */
const PROGRESS_INTERVAL_MS = 250

function absolutePath(body: Record<string, unknown>, key: string): string {
  const v = body[key]
  if (typeof v !== 'string' || v === '' || !isAbsolute(v))
    throw new InvalidInputError(`${key} must be an absolute path, got ${JSON.stringify(v)}`)
  return v
}

function cidOf(body: Record<string, unknown>): string {
  if (typeof body.cid !== 'string' || body.cid === '') throw new InvalidInputError('cid must be a CID string')
  return body.cid
}

function optionalNumber(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new InvalidInputError(`${key} must be a positive number, got ${JSON.stringify(v)}`)
  return v
}

/** Every file and directory under `root`, as importer entries named `<basename>/<relative path>`. */
async function* treeEntries(root: string): AsyncGenerator<ImportEntry> {
  const top = basename(root)
  const walk = async function* (dir: string): AsyncGenerator<ImportEntry> {
    const names = (await readdir(dir)).sort()
    if (names.length === 0) yield { path: join(top, relative(root, dir)) }
    for (const name of names) {
      const full = join(dir, name)
      const st = await lstat(full)
      if (st.isDirectory()) yield* walk(full)
      else if (st.isFile())
        yield { path: join(top, relative(root, full)), content: createReadStream(full), source: full }
    }
  }
  yield* walk(root)
}

/** Fails before downloading when `out` cannot be created: parent missing or not writable, or out exists. */
async function checkWritable(out: string): Promise<void> {
  const exists = await stat(out).then(
    () => true,
    () => false,
  )
  if (exists) throw new InvalidInputError(`output ${out} already exists; choose another -o path`)
  try {
    await access(dirname(out), constants.W_OK)
  } catch {
    throw new InvalidInputError(`cannot write to ${dirname(out)} (missing or not writable)`)
  }
}

async function writeOut(files: FilesApi, cid: string, out: string, signal: AbortSignal): Promise<void> {
  const tmp = out + PARTIAL_SUFFIX
  await rm(tmp, { recursive: true, force: true })
  try {
    for await (const e of files.export(cid, { signal })) {
      const target = e.path === '' ? tmp : join(tmp, e.path)
      if (e.type === 'directory') {
        await mkdir(target, { recursive: true })
        continue
      }
      await mkdir(dirname(target), { recursive: true })
      await pipeline(Readable.from(e.content()), createWriteStream(target), { signal })
    }
    await rename(tmp, out)
  } catch (err) {
    // a full disk or an abort: the partial output goes, the verified chunks stay for the next `get`
    await rm(tmp, { recursive: true, force: true }).catch(() => {})
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as NodeJS.ErrnoException).code === 'EDQUOT')
      throw new StorageError(
        `disk full writing ${out} (ENOSPC); the verified chunks are kept, run get again once there is space`,
      )
    throw err
  }
}

/** Turns progress callbacks plus a final promise into the NDJSON stream the CLI reads. */
async function* progressStream(
  run: (onProgress: (p: DownloadProgress) => void) => Promise<unknown>,
): AsyncGenerator<unknown> {
  let latest: DownloadProgress | undefined
  let sentAt = 0
  let wake: () => void = () => {}
  let outcome: { ok: true; value: unknown } | { ok: false; err: unknown } | undefined
  void run((p) => {
    latest = p
    wake()
  }).then(
    (value) => {
      outcome = { ok: true, value }
      wake()
    },
    (err: unknown) => {
      outcome = { ok: false, err }
      wake()
    },
  )
  for (;;) {
    if (outcome !== undefined) {
      if (!outcome.ok) throw toError(outcome.err)
      yield { ...(outcome.value as object), type: 'done' }
      return
    }
    if (latest !== undefined && Date.now() - sentAt >= PROGRESS_INTERVAL_MS) {
      sentAt = Date.now()
      yield { type: 'progress', ...latest }
      latest = undefined
    }
    await new Promise<void>((resolve) => {
      wake = resolve
      setTimeout(resolve, PROGRESS_INTERVAL_MS)
    })
  }
}

export function filesRoutes(host: ServiceHost): Record<string, ControlHandler> {
  const files = (): FilesApi => {
    const f = host.get<FilesApi>('files')
    if (f === undefined) throw new InvalidInputError('the files service is not running on this node')
    return f
  }
  return {
    'POST /v1/files/share': async (body) => {
      const path = absolutePath(body, 'path')
      const st = await stat(path).catch(() => {
        throw new InvalidInputError(`no such file or directory: ${path}`)
      })
      const name = typeof body.name === 'string' ? body.name : basename(path)
      if (st.isDirectory()) return files().share(treeEntries(path), { name })
      if (!st.isFile()) throw new InvalidInputError(`${path} is neither a file nor a directory`)
      return files().share([{ path: basename(path), content: createReadStream(path), source: path }], {
        name,
      })
    },
    'POST /v1/files/get': async (body, signal) => {
      const cid = cidOf(body)
      const out = absolutePath(body, 'out')
      await checkWritable(out)
      const maxBytes = optionalNumber(body, 'maxBytes')
      const findTimeoutMs = optionalNumber(body, 'findTimeoutMs')
      return progressStream(async (onProgress) => {
        const result = await files().get(cid, {
          signal,
          onProgress,
          maxBytes,
          findTimeoutMs,
          name: basename(out),
        })
        await writeOut(files(), cid, out, signal)
        return { ...result, content: result.type, out, peers: result.peers.length, peerStats: result.peers }
      })
    },
    'GET /v1/files': async () => ({ files: await files().list() }),
    'POST /v1/files/unshare': async (body) => {
      const cid = cidOf(body)
      return { cid, removed: await files().unshare(cid) }
    },
  }
}

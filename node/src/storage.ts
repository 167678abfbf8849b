/**
 * The home node's {@link PeerStorage}: everything under `<data-dir>/services/<namespace>/`, private to
 * the user (directories 0700, files 0600). Key-value entries are one JSON file per key, written to a
 * temporary file and renamed, so a crash never leaves half a record; blocks live in `blockstore-fs`.
 */
import { mkdirSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import type { Blockstore } from 'interface-blockstore'
import type { KvStore, PeerStorage } from '#shared/peer/storage.ts'

/** Keys become file names: every byte outside [A-Za-z0-9._-] is %-escaped (order-preserving for ASCII). */
const encodeKey = (k: string) =>
  encodeURIComponent(k).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)

function fileKv(dir: string): KvStore {
  let made: Promise<unknown> | undefined
  const ready = () => (made ??= mkdir(dir, { recursive: true, mode: 0o700 }))
  const read = async <T>(file: string): Promise<T | undefined> => {
    try {
      return JSON.parse(await readFile(join(dir, file), 'utf8')) as T
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }
  return {
    get: (k) => read(`${encodeKey(k)}.json`),
    async put(k, v) {
      await ready()
      const file = join(dir, `${encodeKey(k)}.json`)
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(v), { mode: 0o600 })
      await rename(tmp, file)
    },
    delete: (k) => rm(join(dir, `${encodeKey(k)}.json`), { force: true }),
    async list<T>(prefix = '') {
      await ready()
      const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()
      const out: Array<[string, T]> = []
      for (const n of names) {
        const key = decodeURIComponent(n.slice(0, -'.json'.length))
        if (!key.startsWith(prefix)) continue
        const v = await read<T>(n)
        if (v !== undefined) out.push([key, v])
      }
      return out
    },
  }
}

export function nodeStorage(dataDir: string): PeerStorage {
  const root = join(dataDir, 'services')
  mkdirSync(root, { recursive: true, mode: 0o700 })
  const kvs = new Map<string, KvStore>()
  const blocks = new Map<string, Promise<Blockstore>>()
  return {
    kv: (ns) => kvs.get(ns) ?? kvs.set(ns, fileKv(join(root, ns, 'kv'))).get(ns)!,
    blockstore: (ns) => {
      let b = blocks.get(ns)
      if (b === undefined) {
        const fs = new FsBlockstore(join(root, ns, 'blocks'))
        b = fs.open().then(() => fs)
        blocks.set(ns, b)
      }
      return b
    },
    async readFileRange(path, offset, length) {
      const fh = await open(path, 'r')
      try {
        const out = new Uint8Array(length)
        const { bytesRead } = await fh.read(out, 0, length, offset)
        if (bytesRead !== length) throw new Error(`${path} is shorter than when it was shared`)
        return out
      } finally {
        await fh.close()
      }
    },
  }
}

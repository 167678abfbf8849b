/**
 * Storage a service may use, injected by the runtime: `node/src/storage.ts` (files under the data dir,
 * 0600) and `browser/src/storage.ts` (IndexedDB). `memoryStorage()` is for unit tests and ephemeral peers.
 */
import { MemoryBlockstore } from 'blockstore-core/memory'
import type { Blockstore } from 'interface-blockstore'

/** A small persistent map of JSON values (mailboxes, job state, routing records). */
export interface KvStore {
  get: <T>(key: string) => Promise<T | undefined>
  put: (key: string, value: unknown) => Promise<void>
  delete: (key: string) => Promise<void>
  /** Entries whose key starts with `prefix`, in key order. */
  list: <T>(prefix?: string) => Promise<Array<[string, T]>>
}

export interface PeerStorage {
  /** A key-value store private to `namespace` (one per service). */
  kv: (namespace: string) => KvStore
  /** A content-addressed block store private to `namespace`, opened. */
  blockstore: (namespace: string) => Promise<Blockstore>
  /**
   * Reads `length` bytes at `offset` of a local file the user shared by path (the home node): lets a
   * share reference the original instead of copying it. Absent where files have no stable path (the page).
   */
  readFileRange?: (path: string, offset: number, length: number) => Promise<Uint8Array>
}

export function memoryKv(): KvStore {
  const m = new Map<string, string>()
  return {
    get: async <T>(k: string) => (m.has(k) ? (JSON.parse(m.get(k)!) as T) : undefined),
    put: async (k, v) => void m.set(k, JSON.stringify(v)),
    delete: async (k) => void m.delete(k),
    list: async <T>(prefix = '') =>
      [...m.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((k) => [k, JSON.parse(m.get(k)!) as T] as [string, T]),
  }
}

export function memoryStorage(): PeerStorage {
  const kvs = new Map<string, KvStore>()
  const blocks = new Map<string, Blockstore>()
  return {
    kv: (ns) => kvs.get(ns) ?? kvs.set(ns, memoryKv()).get(ns)!,
    blockstore: async (ns) => blocks.get(ns) ?? blocks.set(ns, new MemoryBlockstore()).get(ns)!,
  }
}

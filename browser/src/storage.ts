/**
 * The tab's {@link PeerStorage}: IndexedDB, one database per namespace for key-value entries
 * (`idb-keyval`) and one for blocks (`blockstore-idb`). Survives reloads like the tab's identity.
 */
import { IDBBlockstore } from 'blockstore-idb'
import { createStore, del, entries, get, set } from 'idb-keyval'
import type { Blockstore } from 'interface-blockstore'
import type { KvStore, PeerStorage } from '#shared/peer/storage.ts'

function idbKv(ns: string): KvStore {
  const store = createStore(`edgeswarm-kv-${ns}`, 'kv')
  return {
    get: (k) => get(k, store),
    put: (k, v) => set(k, v, store),
    delete: (k) => del(k, store),
    async list<T>(prefix = '') {
      const all = (await entries<string, T>(store)).filter(([k]) => String(k).startsWith(prefix))
      return all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    },
  }
}

export function browserStorage(): PeerStorage {
  const kvs = new Map<string, KvStore>()
  const blocks = new Map<string, Promise<Blockstore>>()
  return {
    kv: (ns) => kvs.get(ns) ?? kvs.set(ns, idbKv(ns)).get(ns)!,
    blockstore: (ns) => {
      let b = blocks.get(ns)
      if (b === undefined) {
        const idb = new IDBBlockstore(`edgeswarm-blocks-${ns}`)
        b = idb.open().then(() => idb)
        blocks.set(ns, b)
      }
      return b
    },
  }
}

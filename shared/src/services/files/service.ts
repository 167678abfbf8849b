/**
 * The `files` overlay service: content-addressed sharing with swarm downloads, on home nodes and in tabs.
 *
 * Storage: blocks live in the service's blockstore (`ctx.storage.blockstore('files')`: files under the
 * node's data dir, IndexedDB in a tab). Where the runtime can read a shared file back by path (the home
 * node: `PeerStorage.readFileRange`), sharing does not copy it: its 1 MiB leaves are references into the
 * original, verified against their CIDs on every read, so an edited original serves "not found", never
 * stale bytes (ref-blockstore.ts). Downloads and the page store verified blocks.
 *
 * @example
 * ```ts
 * const files = ctx.service<FilesApi>('files')!
 * const cid = await files.addBytes(new TextEncoder().encode('hi'))
 * const bytes = await files.getBytes(cid, { maxBytes: 1 << 20 })
 * ```
 */
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import { exporter, recursive } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { concat } from 'uint8arrays/concat'
import { FILES_PROTOCOL } from '../../constants.ts'
import { DEFAULT_FILES_OPEN_TIMEOUT_MS } from '../../defaults.ts'
import { toError } from '../../errors.ts'
import type { PeerService, ServiceContext } from '../../peer/service.ts'
import type { KvStore } from '../../peer/storage.ts'
import type { Routing } from '../routing/types.ts'
import type { Bitmap } from './bitmap.ts'
import { type BitswapServer, startBitswap } from './bitswap.ts'
import { readBlock } from './blocks.ts'
import { parseCid, walkDag } from './dag.ts'
import {
  type Candidate,
  type DownloadOptions,
  type DownloadResult,
  download,
  localLayout,
} from './download.ts'
import { type ImportEntry, importBytes, importEntries } from './import.ts'
import { PeerLink } from './link.ts'
import { RefBlockstore } from './ref-blockstore.ts'
import { filesHandler, type HaveAnswer, type HaveProbe } from './server.ts'
import type { FileStore } from './types.ts'
import { HAVE } from './wire.ts'

export interface SharedFile {
  cid: string
  name: string
  type: 'file' | 'directory'
  bytes: number
  /** `shared` (added here) or `downloaded` (fetched, and now served). */
  origin: 'shared' | 'downloaded'
  addedAt: string
}

export interface ExportEntry {
  /** Path relative to the root ('' for a single file). */
  path: string
  type: 'file' | 'directory'
  bytes: number
  content: () => AsyncIterable<Uint8Array>
}

export interface FilesApi extends FileStore {
  /** Imports entries (one file, or a tree), shares them and returns the record. */
  share: (
    entries: Iterable<ImportEntry> | AsyncIterable<ImportEntry>,
    options?: { name?: string; wrap?: boolean },
  ) => Promise<SharedFile>
  /** Downloads `cid` from the swarm into local storage (resuming), then serves it. */
  get: (
    cid: string,
    options?: Omit<DownloadOptions, 'onLayout' | 'onFirstChunk'> & { name?: string },
  ) => Promise<DownloadResult>
  /** The entries of a locally complete DAG, for writing out (node) or saving (page). */
  export: (cid: string, options?: { signal?: AbortSignal }) => AsyncIterable<ExportEntry>
  list: () => Promise<SharedFile[]>
  /** Stops sharing `cid` and frees its blocks (unless another share uses them); false if unknown. */
  unshare: (cid: string) => Promise<boolean>
  /** Bytes served to others since start. */
  servedBytes: () => number
}

const RECORD = 'shared/'

export function filesService(): PeerService<FilesApi> {
  let bitswap: BitswapServer | undefined
  let node: Libp2p | undefined
  return {
    name: 'files',
    async start(ctx) {
      node = ctx.node
      const kv = ctx.storage.kv('files')
      const bs = await filesBlockstore(ctx, kv)
      const api = createFiles(ctx, bs, kv)
      await ctx.node.handle(
        FILES_PROTOCOL,
        filesHandler({
          ...api.server,
          blockstore: bs,
          events: ctx.events,
          probe: (peer) => haveProbe(ctx, peer),
        }),
        {
          runOnLimitedConnection: true,
          maxInboundStreams: 64,
        },
      )
      try {
        bitswap = await startBitswap(ctx.node, bs)
      } catch (err) {
        ctx.events('files.bitswap-error', { error: toError(err).message }, 'warn')
      }
      void api.reprovide()
      return api.api
    },
    async stop() {
      await bitswap?.stop()
      await node?.unhandle(FILES_PROTOCOL)
    },
  }
}

/** The files blockstore: referencing shared originals where the runtime can read them back. */
async function filesBlockstore(ctx: ServiceContext, kv: KvStore): Promise<Blockstore> {
  const inner = await ctx.storage.blockstore('files')
  const read = ctx.storage.readFileRange
  if (read === undefined) return inner
  const refs = new RefBlockstore(inner, kv, read, (path, reason) =>
    ctx.events('files.source-changed', { path, reason }, 'warn'),
  )
  await refs.load()
  return refs
}

function createFiles(ctx: ServiceContext, bs: Blockstore, kv: KvStore) {
  const routing = () => ctx.service<Routing>('routing')
  const sessions = new Map<string, Bitmap>()
  const complete = new Set<string>()
  let served = 0

  const announce = (cid: string) => {
    const r = routing()
    if (r === undefined) return
    r.provide(cid, { signal: ctx.signal }).then(
      (res) => ctx.events('files.provided', { cid, stored: res.stored, ms: res.ms }, 'debug'),
      (err: unknown) => ctx.events('files.provide-failed', { cid, error: toError(err).message }, 'warn'),
    )
  }

  const record = async (rec: SharedFile) => {
    await kv.put(RECORD + rec.cid, rec)
    complete.add(rec.cid)
    announce(rec.cid)
    ctx.events('files.shared', { cid: rec.cid, bytes: rec.bytes, origin: rec.origin }, 'info')
    return rec
  }

  const haveOf = async (root: CID): Promise<HaveAnswer> => {
    const key = root.toString()
    if (complete.has(key)) return { kind: 'all', bitmap: new Uint8Array(0) }
    const live = sessions.get(key)
    if (live !== undefined) return { kind: 'bitmap', bitmap: live.bytes }
    const local = await localLayout(bs, root).catch(() => undefined)
    if (local === undefined || local.have.count() === 0) return { kind: 'none', bitmap: new Uint8Array(0) }
    if (local.complete) return { kind: 'all', bitmap: new Uint8Array(0) }
    return { kind: 'bitmap', bitmap: local.have.bytes }
  }

  /** Routing's providers first (they claim the CID), then every connected peer (asked with HAVE_REQ). */
  const providers = async function* (root: CID, signal: AbortSignal): AsyncGenerator<Candidate> {
    const seen = new Set<string>()
    for (const conn of ctx.node.getConnections()) {
      const peerId = conn.remotePeer.toString()
      if (seen.has(peerId)) continue
      seen.add(peerId)
      yield { peerId, addrs: [] }
    }
    const r = routing()
    if (r === undefined) return
    for await (const p of r.findProviders(root.toString(), { signal })) {
      if (seen.has(p.peerId)) continue
      seen.add(p.peerId)
      yield { peerId: p.peerId, addrs: p.addrs }
    }
  }

  const open = async (peer: string, addrs: string[], signal: AbortSignal) => {
    const id = peerIdFromString(peer)
    if (addrs.length > 0) {
      await ctx.node.peerStore
        .merge(id, { multiaddrs: addrs.map((a) => multiaddr(a)) })
        .catch((err: unknown) =>
          ctx.events('files.peer-addrs', { peer, error: toError(err).message }, 'debug'),
        )
    }
    return ctx.node.dialProtocol(id, FILES_PROTOCOL, { signal, runOnLimitedConnection: true })
  }

  const get: FilesApi['get'] = async (text, options = {}) => {
    const root = parseCid(text)
    const key = root.toString()
    try {
      const result = await download(
        { self: ctx.node.peerId.toString(), blockstore: bs, open, providers, events: ctx.events },
        root,
        {
          ...options,
          signal: options.signal === undefined ? ctx.signal : AbortSignal.any([ctx.signal, options.signal]),
          onLayout: (_layout, done) => sessions.set(key, done),
          onFirstChunk: () => announce(key),
        },
      )
      const existing = await kv.get<SharedFile>(RECORD + key)
      if (existing === undefined)
        await record({
          cid: key,
          name: options.name ?? key,
          type: result.type,
          bytes: result.bytes,
          origin: 'downloaded',
          addedAt: new Date().toISOString(),
        })
      ctx.events(
        'files.downloaded',
        { cid: key, bytes: result.bytes, ms: result.ms, peers: result.peers.length },
        'info',
      )
      return result
    } finally {
      sessions.delete(key)
    }
  }

  const exportEntries = async function* (
    text: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<ExportEntry> {
    const root = parseCid(text)
    for await (const e of recursive(root, bs, { signal: options.signal })) {
      const path = e.path.split('/').slice(1).join('/')
      const full = await exporter(e.cid, bs, { signal: options.signal })
      if (full.type === 'directory')
        yield { path, type: 'directory', bytes: 0, content: async function* () {} }
      else if (full.type === 'file' || full.type === 'raw')
        yield {
          path,
          type: 'file',
          bytes: Number(full.size),
          content: () => full.content({ signal: options.signal }),
        }
    }
  }

  const api: FilesApi = {
    async addBytes(bytes, options = {}) {
      const r = await importBytes(bytes, bs)
      const rec = await kv.get<SharedFile>(RECORD + r.cid)
      if (rec === undefined)
        await record({
          cid: r.cid,
          name: options.name ?? r.cid,
          type: 'file',
          bytes: r.bytes,
          origin: 'shared',
          addedAt: new Date().toISOString(),
        })
      return r.cid
    },
    async getBytes(cid, options = {}) {
      await get(cid, options)
      const parts: Uint8Array[] = []
      for await (const e of exportEntries(cid, options)) {
        if (e.type !== 'file' || e.path !== '')
          throw new Error(`${cid} is a directory; getBytes wants one file`)
        for await (const p of e.content()) parts.push(p)
      }
      return concat(parts)
    },
    async share(entries, options = {}) {
      // a file with a local path is referenced where it is, not copied (ref-blockstore.ts)
      const tracked: Array<ReturnType<RefBlockstore['track']>> = []
      const refs = bs instanceof RefBlockstore ? bs : undefined
      const viaRefs = async function* () {
        for await (const e of entries) {
          if (refs === undefined || e.source === undefined || e.content === undefined) yield e
          else {
            const t = refs.track(e.source, e.content)
            tracked.push(t)
            yield { path: e.path, content: t.content }
          }
        }
      }
      let r: Awaited<ReturnType<typeof importEntries>>
      try {
        r = await importEntries(viaRefs(), bs, { wrap: options.wrap })
      } catch (err) {
        for (const t of tracked) t.abort()
        throw err
      }
      for (const [n, t] of tracked.entries()) await t.commit(r.cid, n)
      return record({
        cid: r.cid,
        name: options.name ?? r.cid,
        type: r.type,
        bytes: r.bytes,
        origin: 'shared',
        addedAt: new Date().toISOString(),
      })
    },
    get,
    export: exportEntries,
    list: async () => (await kv.list<SharedFile>(RECORD)).map(([, v]) => v),
    async unshare(text) {
      const root = parseCid(text)
      const key = root.toString()
      const rec = await kv.get<SharedFile>(RECORD + key)
      if (rec === undefined) return false
      await kv.delete(RECORD + key)
      complete.delete(key)
      await routing()
        ?.unprovide(key)
        .catch((err: unknown) =>
          ctx.events('files.unprovide-failed', { cid: key, error: toError(err).message }, 'warn'),
        )
      await freeBlocks(root)
      if (bs instanceof RefBlockstore) await bs.forget(key)
      ctx.events('files.unshared', { cid: key }, 'info')
      return true
    },
    servedBytes: () => served,
  }

  /** Deletes the DAG's blocks that no remaining share references (blocks are deduplicated across shares). */
  const freeBlocks = async (root: CID) => {
    const keep = new Set<string>()
    for (const [, rec] of await kv.list<SharedFile>(RECORD)) {
      const l = await localLayout(bs, parseCid(rec.cid)).catch(() => undefined)
      for (const c of [...(l?.layout.structure ?? []), ...(l?.layout.leaves.map((x) => x.cid) ?? [])])
        keep.add(c.toString())
    }
    const mine = await walkDag(root, (c) => readBlock(bs, c)).catch(() => undefined)
    for (const c of [...(mine?.structure ?? []), ...(mine?.leaves.map((x) => x.cid) ?? [])]) {
      if (!keep.has(c.toString())) await bs.delete(c)
    }
  }

  return {
    api,
    server: {
      haveOf,
      // structure blocks only: a complete share holds every leaf, so none is looked up
      leavesOf: async (root: CID) =>
        complete.has(root.toString())
          ? (await walkDag(root, (c) => readBlock(bs, c)).catch(() => undefined))?.leaves.map((l) => l.cid)
          : undefined,
      onServed: (_peer: string, n: number) => {
        served += n
      },
    },
    async reprovide() {
      for (const [, rec] of await kv.list<SharedFile>(RECORD)) {
        complete.add(rec.cid)
        announce(rec.cid)
      }
    },
  }
}

/** A peer's have-maps over a files stream of our own, opened on first use (a seed's first pass polls with it). */
function haveProbe(ctx: ServiceContext, peer: string): HaveProbe {
  let link: Promise<PeerLink> | undefined
  let closed = false
  const open = () => {
    link ??= ctx.node
      .dialProtocol(peerIdFromString(peer), FILES_PROTOCOL, {
        signal: AbortSignal.timeout(DEFAULT_FILES_OPEN_TIMEOUT_MS),
        runOnLimitedConnection: true,
      })
      .then((stream) => {
        const l = new PeerLink(peer, stream)
        if (closed) l.close()
        return l
      })
    return link
  }
  return {
    async have(root) {
      const f = await (await open()).haveReq(root)
      if (f.type !== HAVE) throw new Error(`answered HAVE_REQ with frame ${f.type}`)
      return { kind: f.kind, bitmap: f.bitmap }
    },
    close() {
      closed = true
      void link?.then((l) => l.close()).catch(() => undefined)
    },
  }
}

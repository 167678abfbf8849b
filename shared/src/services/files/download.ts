/**
 * One swarm download: find providers, fetch the DAG's structure, then every missing leaf from many peers
 * at once as the {@link SwarmScheduler} directs, each chunk verified against its CID before it is
 * written, and the whole DAG re-checked from storage at the end.
 *
 * Resumable by construction: verified chunks go straight to the blockstore, and a new download of the
 * same root starts from whatever is already there (nothing is fetched twice).
 */
import type { Stream } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import {
  DEFAULT_FILES_FIND_INTERVAL_MS,
  DEFAULT_FILES_FIND_TIMEOUT_MS,
  DEFAULT_FILES_HAVE_REFRESH_MS,
  DEFAULT_FILES_MAX_PEERS,
  DEFAULT_FILES_OPEN_TIMEOUT_MS,
  DEFAULT_FILES_REDIAL_MS,
} from '../../defaults.ts'
import { IntegrityError, NotFoundError, TooLargeError, toError } from '../../errors.ts'
import type { EventSink } from '../../peer/service.ts'
import { Bitmap } from './bitmap.ts'
import { readBlock } from './blocks.ts'
import { type DagLayout, walkDag } from './dag.ts'
import { PeerLink } from './link.ts'
import { type PeerStats, SwarmScheduler, short } from './scheduler.ts'
import type { HaveAnswer } from './server.ts'
import { verifyBlock } from './verify.ts'
import { BLOCK, DONT_HAVE, type Frame, HAVE } from './wire.ts'

export interface Candidate {
  peerId: string
  addrs: string[]
}

export interface DownloadComponents {
  self: string
  blockstore: Blockstore
  /** Opens a files-protocol stream to `peer` (direct or relayed). */
  open: (peer: string, addrs: string[], signal: AbortSignal) => Promise<Stream>
  /** Candidate providers: routing answers and connected peers; may repeat peers, is re-run periodically. */
  providers: (root: CID, signal: AbortSignal) => AsyncIterable<Candidate>
  events: EventSink
}

export interface DownloadOptions {
  signal?: AbortSignal
  maxBytes?: number
  /** @default DEFAULT_FILES_FIND_TIMEOUT_MS (ms) */
  findTimeoutMs?: number
  /** @default DEFAULT_FILES_MAX_PEERS */
  maxPeers?: number
  onProgress?: (p: DownloadProgress) => void
  /** Called once the layout is known, with the live map of verified chunks (partial seeding). */
  onLayout?: (layout: DagLayout, done: Bitmap) => void
  /** Called after the first chunk fetched from the swarm is stored (the moment to announce). */
  onFirstChunk?: () => void
}

export interface DownloadProgress {
  cid: string
  bytes: number
  totalBytes: number
  chunks: number
  totalChunks: number
  peers: number
  rateBytesPerSec: number
  etaMs: number | null
}

export interface DownloadResult {
  cid: string
  type: 'file' | 'directory'
  bytes: number
  /** Bytes that were already on disk (resumed or shared before). */
  resumedBytes: number
  ms: number
  peers: PeerStats[]
  dropped: { lying: string[]; dead: string[] }
  duplicates: number
  /** Protocol bytes beyond the content (headers, have-maps, duplicate chunks), both directions. */
  overheadBytes: number
}

interface LinkState {
  link: PeerLink
  have: HaveAnswer | undefined
  /** A have-map refresh is in flight on this link. */
  refreshing?: boolean
  /** The peer answered `all` and then a DONT_HAVE (a seed's first pass): its map is refreshed too. */
  corrected?: boolean
}

const TICK_MS = 250
/** A running download logs what it waits on (`files.state`, debug) every this many ticks: 5 s. */
const STATE_EVERY_TICKS = 20

export async function download(
  c: DownloadComponents,
  root: CID,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const started = Date.now()
  const abort = new AbortController()
  const signal = options.signal === undefined ? abort.signal : AbortSignal.any([abort.signal, options.signal])
  const findTimeoutMs = options.findTimeoutMs ?? DEFAULT_FILES_FIND_TIMEOUT_MS
  const maxPeers = options.maxPeers ?? DEFAULT_FILES_MAX_PEERS
  const links = new Map<string, LinkState>()
  /** Peers not to dial again in this download: lying or dead ones for good, failed dials for a while. */
  const refused = new Set<string>()
  const failedAt = new Map<string, number>()
  let sched: SwarmScheduler | undefined
  let layout: DagLayout | undefined
  let lastUsefulAt = Date.now()
  let fail: (err: Error) => void = () => {}
  let finish: () => void = () => {}
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  finished.catch(() => {})
  signal.addEventListener('abort', () => fail(toError(signal.reason)), { once: true })

  /** Resolves at the next HAVE answer: what a download still waiting for its DAG's structure waits on. */
  let haveChanged: () => void = () => {}
  const nextHave = () =>
    new Promise<void>((resolve) => {
      haveChanged = resolve
    })

  const applyHave = (peer: string, have: HaveAnswer) => {
    const st = links.get(peer)
    if (st === undefined) return
    st.have = have
    haveChanged()
    st.corrected = false
    if (have.kind === 'all' || have.bitmap.some((b) => b !== 0)) lastUsefulAt = Date.now()
    if (sched !== undefined && layout !== undefined) {
      const bm = have.kind === 'all' ? 'all' : new Bitmap(layout.leaves.length, have.bitmap)
      if (sched.addPeer(peer, bm)) pump()
    }
  }

  const connect = async (cand: Candidate) => {
    const peer = cand.peerId
    if (peer === c.self || links.has(peer) || refused.has(peer) || links.size >= maxPeers) return
    // a failed dial (a dead direct path, a peer that does not speak the protocol) is retried later
    if (Date.now() - (failedAt.get(peer) ?? 0) < DEFAULT_FILES_REDIAL_MS) return
    failedAt.set(peer, Date.now())
    try {
      const stream = await c.open(
        peer,
        cand.addrs,
        AbortSignal.any([signal, AbortSignal.timeout(DEFAULT_FILES_OPEN_TIMEOUT_MS)]),
      )
      const link = new PeerLink(peer, stream)
      links.set(peer, { link, have: undefined })
      const f = await link.haveReq(root)
      if (f.type !== HAVE) throw new Error(`answered HAVE_REQ with frame ${f.type}`)
      failedAt.delete(peer)
      known.set(peer, cand)
      applyHave(peer, f)
      c.events('files.peer', { cid: root.toString(), peer, have: f.kind }, 'debug')
    } catch (err) {
      links.get(peer)?.link.close()
      links.delete(peer)
      c.events('files.peer-failed', { cid: root.toString(), peer, error: toError(err).message }, 'debug')
    }
  }

  /**
   * Every peer that answered a HAVE_REQ: one whose connection closed (trimmed, a ping lost under bulk
   * transfer) is no longer among the connected peers and may be absent from routing, yet it may be the
   * only holder of the last chunks; it is dialled again by its ID.
   */
  const known = new Map<string, Candidate>()
  const discover = async () => {
    while (!signal.aborted) {
      try {
        for await (const cand of c.providers(root, signal)) void connect(cand)
      } catch (err) {
        if (!signal.aborted)
          c.events('files.find-error', { cid: root.toString(), error: toError(err).message }, 'warn')
      }
      for (const cand of known.values()) if (!links.has(cand.peerId)) void connect(cand)
      await new Promise((r) => setTimeout(r, DEFAULT_FILES_FIND_INTERVAL_MS))
    }
  }

  const storeVerified = async (cid: CID, bytes: Uint8Array) => {
    await c.blockstore.put(cid, bytes, { signal })
  }

  /** A structure block: local, or from the first linked peer that has the root. */
  const getStructure = async (cid: CID): Promise<Uint8Array> => {
    if (await c.blockstore.has(cid)) return readBlock(c.blockstore, cid)
    for (;;) {
      const changed = nextHave()
      for (const [peer, st] of links) {
        if (st.have === undefined || st.have.kind === 'none' || st.link.closed) continue
        let f: Frame
        try {
          f = await st.link.want(cid)
        } catch {
          continue
        }
        if (f.type !== BLOCK) continue
        if (!f.cid.equals(cid) || !(await verifyBlock(cid, f.bytes))) {
          dropLying(peer)
          continue
        }
        await storeVerified(cid, f.bytes)
        return f.bytes
      }
      if (Date.now() - lastUsefulAt > findTimeoutMs)
        throw new NotFoundError(
          `no peer provided ${root} within ${findTimeoutMs / 1000} s (asked ${links.size + failedAt.size + refused.size} peers)`,
        )
      // no linked peer gave it: wait for the next HAVE answer (a new peer, a refresh), not a fixed poll;
      // the first chunk of a download then starts as soon as one peer answered
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        changed,
        finished.catch(() => {}),
        new Promise((r) => {
          timer = setTimeout(r, Math.max(0, findTimeoutMs - (Date.now() - lastUsefulAt)) + 1)
        }),
      ])
      clearTimeout(timer)
      if (signal.aborted) throw toError(signal.reason)
    }
  }

  const dropLying = (peer: string) => {
    sched?.dropPeer(peer, 'lying')
    links.get(peer)?.link.close(new Error('sent a block that does not match its CID'))
    links.delete(peer)
    refused.add(peer)
    lying.add(peer)
    c.events('files.peer-dropped', { cid: root.toString(), peer, reason: 'lying' }, 'warn')
  }
  const lying = new Set<string>()
  let firstChunk = false
  let fetchedBytes = 0

  const onAnswer = async (peer: string, idx: number, f: Frame) => {
    if (sched === undefined || layout === undefined) return
    const leaf = layout.leaves[idx]!
    if (f.type === DONT_HAVE) {
      // a chunk already stored: the answer to a WANT we cancelled (another peer delivered it first)
      if (!sched.doneMap.get(idx)) {
        sched.missing(peer, idx)
        const st = links.get(peer)
        if (st !== undefined) st.corrected = true
      }
      return
    }
    if (f.type !== BLOCK || !f.cid.equals(leaf.cid) || !(await verifyBlock(leaf.cid, f.bytes))) {
      dropLying(peer)
      return
    }
    if (leaf.size >= 0 && f.bytes.byteLength !== leaf.size) {
      fail(
        new IntegrityError(
          `${root} lies about sizes: chunk ${leaf.cid} has ${f.bytes.byteLength} bytes, its parent declares ${leaf.size}`,
        ),
      )
      return
    }
    if (leaf.size < 0 && options.maxBytes !== undefined && f.bytes.byteLength > options.maxBytes) {
      fail(new TooLargeError(`${root} holds ${f.bytes.byteLength} bytes, more than ${options.maxBytes}`))
      return
    }
    if (!sched.doneMap.get(idx)) await storeVerified(leaf.cid, f.bytes)
    const r = sched.received(peer, idx, true)
    // endgame: the other peers asked for this chunk drop it if it is still queued on their side
    for (const other of r.cancel) {
      links.get(other)?.link.cancel(leaf.cid)
      c.events('files.endgame-cancel', { peer: other, chunk: idx }, 'debug')
    }
    if (r.fresh) {
      fetchedBytes += f.bytes.byteLength
      lastUsefulAt = Date.now()
      if (!firstChunk) {
        firstChunk = true
        options.onFirstChunk?.()
      }
      progress()
    }
  }

  /**
   * A peer whose link `st` closed or failed: out of the schedule (its requests go to others) and out of
   * the link table, so the next provider round may dial it again. A link already replaced is left alone.
   */
  const forget = (peer: string, st: LinkState) => {
    if (links.get(peer) !== st) return
    sched?.dropPeer(peer, 'gone')
    st.link.close()
    links.delete(peer)
  }

  const pump = () => {
    if (sched === undefined || layout === undefined) return
    if (sched.complete) {
      finish()
      return
    }
    for (const peer of sched.peersFastestFirst()) {
      const st = links.get(peer)
      if (st === undefined) {
        sched.dropPeer(peer, 'gone')
        continue
      }
      if (st.link.closed) {
        // a stream that closed between requests (a trimmed connection, a relay's limit): forget the
        // link too, or the peer, perhaps the only holder of the last chunks, is never dialled again
        forget(peer, st)
        continue
      }
      for (let idx = sched.next(peer); idx !== undefined; idx = sched.next(peer)) {
        const i = idx
        st.link
          .want(layout.leaves[i]!.cid)
          .then(
            // a local failure (disk full, integrity) ends the download; verified chunks stay for a resume
            (f) => onAnswer(peer, i, f).catch((err: unknown) => fail(toError(err))),
            () => {
              // a request on a link already replaced (dropped as dead, then dialled again) says
              // nothing about the new one
              if (!signal.aborted) forget(peer, st)
            },
          )
          .finally(pump)
      }
    }
  }

  let resumedBytes = 0
  let rateWindow: Array<[number, number]> = []
  const progress = () => {
    if (sched === undefined || layout === undefined) return
    const now = Date.now()
    rateWindow.push([now, fetchedBytes])
    rateWindow = rateWindow.filter(([t]) => now - t <= 5_000)
    const [t0, b0] = rateWindow[0]!
    const rate = now - t0 > 0 ? ((fetchedBytes - b0) * 1000) / (now - t0) : 0
    const bytes = resumedBytes + fetchedBytes
    options.onProgress?.({
      cid: root.toString(),
      bytes,
      totalBytes: layout.bytes,
      chunks: sched.doneMap.count(),
      totalChunks: layout.leaves.length,
      peers: sched.stats().filter((s) => s.inflight > 0).length,
      rateBytesPerSec: Math.round(rate),
      etaMs: rate > 0 ? Math.round(((layout.bytes - bytes) * 1000) / rate) : null,
    })
  }

  let ticks = 0
  const tick = setInterval(() => {
    // links that closed with nothing in flight (also while the layout is still being fetched)
    for (const [peer, st] of links) if (st.link.closed) forget(peer, st)
    if (sched === undefined) return
    for (const peer of sched.checkStalls()) {
      links.get(peer)?.link.close(new Error('stalled'))
      links.delete(peer)
      // not for good: an overloaded seeder (a flash crowd) may be the only one holding the last chunks
      failedAt.set(peer, Date.now())
      c.events('files.peer-dropped', { cid: root.toString(), peer, reason: 'dead' }, 'warn')
    }
    if (sched.peers().length > 0 && sched.stats().some((s) => s.inflight > 0)) lastUsefulAt = Date.now()
    if (++ticks % STATE_EVERY_TICKS === 0 && !sched.complete) {
      const state = sched.snapshot()
      state.links = [...links].map(
        ([peer, st]) => `${short(peer)}:${st.link.closed ? 'closed' : st.link.pending}`,
      )
      c.events('files.state', { cid: root.toString(), remaining: sched.remaining(), ...state }, 'debug')
    }
    if (!sched.complete && Date.now() - lastUsefulAt > findTimeoutMs) {
      const waited = `${findTimeoutMs / 1000} s`
      fail(
        new NotFoundError(
          fetchedBytes === 0
            ? `no peer provided ${root} within ${waited} (asked ${links.size + failedAt.size + refused.size} peers)`
            : `no live peer holds the remaining ${sched.remaining()} chunks of ${root} (waited ${waited})`,
        ),
      )
    }
    pump()
    progress()
  }, TICK_MS)
  const refresh = setInterval(() => {
    for (const [peer, st] of links) {
      // one refresh at a time per peer: its answer queues behind the blocks already asked for, and a
      // busy peer must not collect a HAVE_REQ a second (the listener bounds what may be queued)
      if ((st.have?.kind === 'all' && st.corrected !== true) || st.link.closed || st.refreshing) continue
      st.refreshing = true
      st.link
        .haveReq(root)
        .then((f) => f.type === HAVE && applyHave(peer, f))
        .catch(() => {})
        .finally(() => {
          st.refreshing = false
        })
    }
  }, DEFAULT_FILES_HAVE_REFRESH_MS)

  try {
    const local = await localLayout(c.blockstore, root, options.maxBytes)
    if (local?.complete !== true) {
      void discover()
      layout = await Promise.race([
        walkDag(root, getStructure, { maxBytes: options.maxBytes }),
        finished.then(() => undefined),
      ])
      if (layout === undefined) throw new Error('download ended before its layout was known')
      const done = new Bitmap(layout.leaves.length)
      for (let i = 0; i < layout.leaves.length; i++) {
        if (await c.blockstore.has(layout.leaves[i]!.cid)) {
          done.set(i)
          resumedBytes += Math.max(0, layout.leaves[i]!.size)
        }
      }
      options.onLayout?.(layout, done)
      sched = new SwarmScheduler({
        sizes: layout.leaves.map((l) => (l.size < 0 ? 1024 * 1024 : l.size)),
        local: done,
        now: Date.now,
      })
      for (const [peer, st] of links) if (st.have !== undefined) applyHave(peer, st.have)
      c.events(
        'files.download',
        { cid: root.toString(), chunks: layout.leaves.length, resumed: done.count() },
        'info',
      )
      pump()
      progress()
      await finished
    } else layout = local.layout
    const checked = await recheck(c.blockstore, root)
    const stats = sched?.stats() ?? []
    let overhead = 0
    for (const st of links.values()) overhead += st.link.bytesIn + st.link.bytesOut
    return {
      cid: root.toString(),
      type: checked.type,
      bytes: checked.bytes,
      resumedBytes: sched === undefined ? checked.bytes : resumedBytes,
      ms: Date.now() - started,
      peers: stats,
      dropped: { lying: [...lying], dead: sched?.droppedAs('dead') ?? [] },
      duplicates: sched?.duplicates ?? 0,
      overheadBytes: Math.max(0, overhead - fetchedBytes),
    }
  } finally {
    clearInterval(tick)
    clearInterval(refresh)
    abort.abort(new Error('download ended'))
    for (const st of links.values()) st.link.close()
  }
}

/** The layout from local blocks alone, and whether every leaf is present; undefined if structure is missing. */
export async function localLayout(
  bs: Blockstore,
  root: CID,
  maxBytes?: number,
): Promise<{ layout: DagLayout; complete: boolean; have: Bitmap } | undefined> {
  let layout: DagLayout
  try {
    layout = await walkDag(
      root,
      async (cid) => {
        if (!(await bs.has(cid))) throw new NotFoundError(`${cid} is not local`)
        return readBlock(bs, cid)
      },
      { maxBytes },
    )
  } catch (err) {
    if (toError(err).name === 'NotFoundError') return undefined
    throw err
  }
  const have = new Bitmap(layout.leaves.length)
  for (let i = 0; i < layout.leaves.length; i++) if (await bs.has(layout.leaves[i]!.cid)) have.set(i)
  return { layout, complete: have.all(), have }
}

/** Re-verifies every block of the DAG from storage (the root check at the end of a download). */
export async function recheck(bs: Blockstore, root: CID): Promise<DagLayout> {
  const layout = await walkDag(root, async (cid) => {
    const bytes = await readBlock(bs, cid)
    if (!(await verifyBlock(cid, bytes)))
      throw new IntegrityError(`stored block ${cid} does not match its CID`)
    return bytes
  })
  let bytes = 0
  for (const leaf of layout.leaves) {
    const b = await readBlock(bs, leaf.cid)
    if (!(await verifyBlock(leaf.cid, b)))
      throw new IntegrityError(`stored chunk ${leaf.cid} does not match its CID`)
    if (leaf.size >= 0 && b.byteLength !== leaf.size)
      throw new IntegrityError(`${root} lies about the size of ${leaf.cid}`)
    bytes += b.byteLength
  }
  return { ...layout, bytes }
}

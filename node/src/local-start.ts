/**
 * What a home node does before libp2p starts: ask the edge for the bootstrap document, read or create
 * its identity, make sure no other daemon uses the data dir, and start emptying its edge mailbox, which
 * needs only the key and the edge URL. The document's round trip (~100 ms on loopback: wrangler dev's
 * proxy, the worker and the shards' stats) then overlaps the rest of the start (the identity, the
 * daemon's modules, building libp2p) instead of following it: the reservations start once both the
 * document and libp2p are there (measured with bench/join.ts).
 * The mailbox fetch then runs alongside the bootstrap fetch and the libp2p start instead of after them,
 * and nothing waits for it: joining the overlay (the first relay reservation) is not held back by a
 * round trip to the mailbox. (Run from the TypeScript sources instead of the bundle, loading libp2p's
 * modules keeps the event loop busy for seconds and the fetch lands after that.)
 *
 * @example
 * ```ts
 * const local = await startLocal(options, events) // mailbox fetch in flight
 * const { startDaemon } = await import('./daemon.ts')
 * const daemon = await startDaemon(options, events, local)
 * ```
 */
import type { PrivateKey } from '@libp2p/interface'
import { BootstrapSource } from '#shared/peer/bootstrap-client.ts'
import { peerEvents } from '#shared/peer/events.ts'
import type { EventSink } from '#shared/peer/service.ts'
import type { PeerStorage } from '#shared/peer/storage.ts'
import type { BootstrapDocument } from '#shared/protocol/bootstrap.ts'
import { MailboxDrain } from '#shared/services/messaging/mailbox-drain.ts'
import { assertNoRunningDaemon } from './control/files.ts'
import { httpFetch } from './http-fetch.ts'
import { loadOrCreateIdentity } from './identity.ts'
import type { NodeOptions } from './options.ts'
import { nodeStorage } from './storage.ts'

export interface LocalStart {
  privateKey: PrivateKey
  storage: PeerStorage
  /** Already polling; the messages service takes it over. */
  drain: MailboxDrain
  /** The bootstrap document's source, its first read under way. */
  source: BootstrapSource
  /** That first read: settles (never rejects) with the document or why it failed. */
  loading: Promise<[PromiseSettledResult<BootstrapDocument>]>
  /** When this was done (ms since the process started, `performance.now()`): `node.started` reports it. */
  readyMs: number
}

function bootstrapSource(options: NodeOptions, events: EventSink): BootstrapSource {
  return new BootstrapSource({
    url: options.bootstrapUrl,
    events: peerEvents(events),
    fetch: httpFetch,
    ...(options.networkKey === undefined ? {} : { networkKey: options.networkKey }),
    unauthorized: (status) =>
      `bootstrap ${options.bootstrapUrl} answered HTTP ${status} (wrong or missing --network-key?)`,
  })
}

/**
 * Events held until the data dir is this process's: a second daemon refused for it prints its one error
 * line, not first the bootstrap document it fetched meanwhile.
 */
function heldEvents(events: EventSink): { sink: EventSink; release: () => void } {
  let held: Array<Parameters<EventSink>> | undefined = []
  return {
    sink: (...args) => {
      if (held === undefined) events(...args)
      else held.push(args)
    },
    release: () => {
      const queued = held ?? []
      held = undefined
      for (const args of queued) events(...args)
    },
  }
}

export async function startLocal(options: NodeOptions, events: EventSink): Promise<LocalStart> {
  const early = heldEvents(events)
  const source = bootstrapSource(options, early.sink)
  // a bootstrap failure is reported by the daemon, after any local problem (corrupt key, a daemon
  // already running) that stops the start first
  const loading = Promise.allSettled([source.load()] as const)
  const privateKey = await loadOrCreateIdentity(options.dataDir)
  // before anything touches the data dir's stores: another daemon may own them
  await assertNoRunningDaemon(options.dataDir)
  early.release()
  const storage = nodeStorage(options.dataDir)
  const drain = new MailboxDrain({
    privateKey,
    edgeUrl: options.bootstrapUrl,
    networkKey: options.networkKey,
    storage,
    events,
    fetch: httpFetch,
  })
  drain.poll()
  return { privateKey, storage, drain, source, loading, readyMs: performance.now() }
}

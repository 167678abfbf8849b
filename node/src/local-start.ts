/**
 * What a home node does before libp2p starts: read or create its identity, make sure no other daemon
 * uses the data dir, and start emptying its edge mailbox, which needs only the key and the edge URL.
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
import type { EventSink } from '../../shared/src/peer/service.ts'
import type { PeerStorage } from '../../shared/src/peer/storage.ts'
import { MailboxDrain } from '../../shared/src/services/messaging/mailbox-drain.ts'
import { assertNoRunningDaemon } from './control/files.ts'
import { loadOrCreateIdentity } from './identity.ts'
import type { NodeOptions } from './options.ts'
import { nodeStorage } from './storage.ts'

export interface LocalStart {
  privateKey: PrivateKey
  storage: PeerStorage
  /** Already polling; the messages service takes it over. */
  drain: MailboxDrain
  /** When this was done (ms since the process started, `performance.now()`): `node.started` reports it. */
  readyMs: number
}

export async function startLocal(options: NodeOptions, events: EventSink): Promise<LocalStart> {
  const privateKey = await loadOrCreateIdentity(options.dataDir)
  // before anything touches the data dir's stores: another daemon may own them
  await assertNoRunningDaemon(options.dataDir)
  const storage = nodeStorage(options.dataDir)
  const drain = new MailboxDrain({
    privateKey,
    edgeUrl: options.bootstrapUrl,
    networkKey: options.networkKey,
    storage,
    events,
  })
  drain.poll()
  return { privateKey, storage, drain, readyMs: performance.now() }
}

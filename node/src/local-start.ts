/**
 * What a home node does before libp2p's modules are even loaded (loading them takes 4-5 s on a busy
 * 2-core machine): read or create its identity, make sure no other daemon uses the data dir, and
 * start emptying its edge mailbox, which needs only the key and the edge URL. It waits for the first
 * mailbox page (at most DEFAULT_MAILBOX_START_WAIT_MS): offline messages are then in the inbox before
 * the rest of the node starts, instead of seconds later behind the module loading.
 *
 * @example
 * ```ts
 * const local = await startLocal(options, events) // mailbox fetch in flight
 * const { startDaemon } = await import('./daemon.ts')
 * const daemon = await startDaemon(options, events, local)
 * ```
 */
import type { PrivateKey } from '@libp2p/interface'
import { DEFAULT_MAILBOX_START_WAIT_MS } from '../../shared/src/defaults.ts'
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
  // loading libp2p's modules next keeps the event loop busy for seconds, and the fetch would wait
  // behind it: let the first page land first (one round trip to the edge), bounded
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    drain.firstPage,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DEFAULT_MAILBOX_START_WAIT_MS)
    }),
  ])
  clearTimeout(timer)
  return { privateKey, storage, drain }
}

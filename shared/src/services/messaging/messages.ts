/**
 * The `messages` overlay service: direct messages between peers, with a delivery receipt when the
 * recipient is online (over the encrypted libp2p connection, direct or relayed: direct.ts) and a sealed
 * copy in its edge mailbox otherwise (seal.ts, mailbox-client.ts), fetched when it returns.
 *
 * @example
 * ```ts
 * const dm = ctx.service<Messages>('messages')!
 * const r = await dm.send(peerId, 'hello') // { status: 'delivered', path: 'relayed' } or 'queued'
 * for await (const m of dm.watch({ signal })) console.log(m.from, m.body)
 * ```
 */
import type { Connection, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { DM_PROTOCOL } from '../../constants.ts'
import * as D from '../../defaults.ts'
import { InvalidInputError, InvalidMessageError, toError } from '../../errors.ts'
import type { PeerService, ServiceContext } from '../../peer/service.ts'
import { ed25519KeyOf } from '../../protocol/mailbox.ts'
import { type DirectFrame, receiveDirect, sendDirect } from './direct.ts'
import { MailboxClient } from './mailbox-client.ts'
import { MailboxDrain } from './mailbox-drain.ts'
import { handlerQueue } from './queue.ts'
import { candidateAddrs, openByPreference, pathOf } from './reach.ts'
import { sealEnvelope } from './seal.ts'
import { readBootstrap } from './topic-peers.ts'
import type { DirectMessage, Messages, SendReceipt } from './types.ts'

const randomId = () =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')

function checkBody(body: unknown): string {
  if (typeof body !== 'string') throw new InvalidInputError('message must be a string')
  const n = new TextEncoder().encode(body).length
  if (n > D.DEFAULT_DM_MAX_BYTES)
    throw new InvalidMessageError(`message is ${n} bytes, more than ${D.DEFAULT_DM_MAX_BYTES}`)
  return body
}

/** A libp2p service whose only job is to hand us the node's private key (the public seam for it). */
const keyHolder = () => (components: { privateKey: PrivateKey }) => ({ privateKey: components.privateKey })

export interface MessagesInit {
  /** A drain the shell started as soon as the identity was loaded. @default one built at start */
  drain?: MailboxDrain
}

export function messagesService(init: MessagesInit = {}): PeerService<Messages> {
  let timer: ReturnType<typeof setInterval> | undefined
  let unhandle = async () => {}
  return {
    name: 'messages',
    libp2p: () => ({ messagesKey: keyHolder() as never }),
    async start(ctx: ServiceContext): Promise<Messages> {
      const key = (ctx.node.services.messagesKey as { privateKey: PrivateKey }).privateKey
      const self = ctx.node.peerId.toString()
      // the shell may have started emptying the mailbox before libp2p was up (mailbox-drain.ts)
      const drain =
        init.drain ??
        new MailboxDrain({
          privateKey: key,
          edgeUrl: ctx.edgeUrl,
          networkKey: ctx.networkKey,
          storage: ctx.storage,
          events: ctx.events,
          fetch: ctx.fetch,
        })
      if (drain.self !== self) throw new Error('the mailbox drain was built for another identity')
      const { inbox } = drain
      const mailbox = new MailboxClient({
        edgeUrl: ctx.edgeUrl,
        networkKey: ctx.networkKey,
        self,
        key,
        fetch: ctx.fetch,
      })

      const deliver = async (m: DirectMessage) => {
        if (await inbox.accept(m)) ctx.events('dm.received', { id: m.id, from: m.from, via: m.via })
        else ctx.events('dm.duplicate', { id: m.id, from: m.from, via: m.via }, 'debug')
      }
      await ctx.node.handle(
        DM_PROTOCOL,
        (stream, connection) =>
          receiveDirect(
            stream,
            connection,
            (from, f: DirectFrame) =>
              deliver({
                id: f.id,
                from,
                to: self,
                body: f.body,
                sentAt: f.ts,
                receivedAt: Date.now(),
                via: 'direct',
              }),
            (reason, from) => ctx.events('dm.dropped', { reason, from }, 'warn'),
          ).catch((err: unknown) =>
            ctx.events('dm.receive-failed', { reason: toError(err).message }, 'debug'),
          ),
        { runOnLimitedConnection: true },
      )
      unhandle = () => ctx.node.unhandle(DM_PROTOCOL)

      drain.poll()
      timer = setInterval(() => drain.poll(), D.DEFAULT_MAILBOX_POLL_MS)

      /**
       * Sends `frame` over an open connection to `to` (direct ones first; one that cannot open a stream
       * within the path check's timeout gives way to the next), else over a connection dialled to
       * explicit addresses (reach.ts: never a DHT walk). A retry after a frame went out is safe: the
       * recipient's inbox drops a second copy by message ID.
       */
      const sendOnline = async (to: string, frame: DirectFrame, signal: AbortSignal) => {
        const peer = peerIdFromString(to)
        const over = async (conn: Connection, openMs?: number) => {
          const opening =
            openMs === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(openMs)])
          const stream = await conn.newStream(DM_PROTOCOL, { signal: opening, runOnLimitedConnection: true })
          return { receipt: await sendDirect(stream, frame, signal), path: pathOf(conn) }
        }
        const open = openByPreference(ctx.node, peer)
        for (const conn of open) {
          try {
            return await over(conn, D.DEFAULT_PATH_VERIFY_TIMEOUT_MS)
          } catch (err) {
            if (signal.aborted) throw err
            const reason = toError(err).message
            ctx.events('dm.retry', { id: frame.id, to, path: pathOf(conn), reason }, 'debug')
          }
        }
        const doc = await readBootstrap(ctx).catch(() => undefined)
        const addrs = await candidateAddrs(ctx.node, peer, doc)
        if (addrs.length === 0) throw new Error(`no address known for ${to}`)
        const dialSignal = AbortSignal.any([signal, AbortSignal.timeout(D.DEFAULT_DM_DIAL_TIMEOUT_MS)])
        // force: the open connections just failed, libp2p must not hand one of them back
        return over(await ctx.node.dial(addrs, { signal: dialSignal, force: open.length > 0 }))
      }

      const send = async (
        to: string,
        body: string,
        options: { signal?: AbortSignal; mailboxOnly?: boolean } = {},
      ): Promise<SendReceipt> => {
        ed25519KeyOf(to)
        if (to === self) throw new InvalidInputError('cannot send a direct message to ourselves')
        checkBody(body)
        const started = Date.now()
        const frame = { id: randomId(), ts: started, body }
        if (options.mailboxOnly !== true) {
          const signal = AbortSignal.any([
            AbortSignal.timeout(D.DEFAULT_DM_DIAL_TIMEOUT_MS + D.DEFAULT_DM_RECEIPT_TIMEOUT_MS),
            ...(options.signal === undefined ? [] : [options.signal]),
          ])
          try {
            const { receipt, path } = await sendOnline(to, frame, signal)
            if (receipt.ok) {
              ctx.events('dm.delivered', { id: frame.id, to, path, ms: Date.now() - started })
              return { id: frame.id, to, status: 'delivered', path, ms: Date.now() - started }
            }
          } catch (err) {
            ctx.events('dm.offline', { id: frame.id, to, reason: toError(err).message }, 'debug')
          }
        }
        const envelope = sealEnvelope(key, self, to, frame)
        await mailbox.deposit(envelope)
        ctx.events('dm.queued', { id: frame.id, to })
        return { id: frame.id, to, status: 'queued', ms: Date.now() - started }
      }

      return {
        send,
        inbox: () => inbox.list(),
        watch: (options = {}) => handlerQueue<DirectMessage>((h) => inbox.onMessage(h), options.signal),
        checkMailbox: () => drain.check(),
      }
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer)
      await unhandle()
    },
  }
}

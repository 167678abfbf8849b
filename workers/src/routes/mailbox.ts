/**
 * The edge mailbox (docs/PROTOCOLS.md "Mailbox"), one Mailbox Durable Object per recipient:
 * - `POST /v1/mailbox/<peerId>`: leave a sealed, sender-signed envelope (201; 200 for a repeat);
 * - `POST /v1/mailbox/<peerId>/fetch` `{after, ts, sig}`: the recipient's messages after `after`;
 * - `POST /v1/mailbox/<peerId>/ack` `{upTo, ts, sig}`: the recipient deletes what it has stored.
 * Bodies are JSON, bounded by the app's `limitBody` (64 KiB, declared length) before they get here;
 * envelopes and signatures are checked here, so nothing unverified reaches a Durable Object. In private
 * mode the bearer network key is required, as for the bootstrap API.
 */
import { Hono } from 'hono'
import { MAILBOX_PATH_PREFIX } from '#shared/constants.ts'
import { InvalidInputError } from '#shared/errors.ts'
import {
  checkSignedRequest,
  ed25519KeyOf,
  parseEnvelope,
  type SignedRequest,
} from '#shared/protocol/mailbox.ts'
import { requireNetworkKey } from '../app/middleware.ts'
import { jsonError } from '../app/respond.ts'
import type { AppEnv } from '../app/types.ts'
import type { Env } from '../env.ts'
import type { Mailbox } from '../objects/mailbox.ts'

export const mailboxRoutes = new Hono<AppEnv>()

const base = MAILBOX_PATH_PREFIX.replace(/\/$/, '')

function stubFor(env: Env, peerId: string): DurableObjectStub<Mailbox> {
  ed25519KeyOf(peerId) // InvalidInputError unless an Ed25519 peer ID
  return env.MAILBOX.get(env.MAILBOX.idFromName(peerId))
}

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  let v: unknown
  try {
    v = await req.json()
  } catch {
    throw new InvalidInputError('body must be JSON')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidInputError('body must be a JSON object')
  return v as Record<string, unknown>
}

function seqOf(v: unknown, name: string): number {
  if (v === undefined) return 0
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidInputError(`${name} must be a non-negative integer`)
  }
  return v
}

mailboxRoutes.post(`${base}/:peer`, requireNetworkKey, async (c) => {
  const peer = c.req.param('peer')
  const stub = stubFor(c.env, peer)
  const envelope = parseEnvelope(await jsonBody(c.req.raw), peer)
  const r = await stub.deposit(envelope)
  if (!r.ok) return jsonError(c, 507, r.code, r.message)
  return c.json({ seq: r.seq, duplicate: r.duplicate }, r.duplicate ? 200 : 201, {
    'Cache-Control': 'no-store',
  })
})

mailboxRoutes.post(`${base}/:peer/fetch`, requireNetworkKey, async (c) => {
  const peer = c.req.param('peer')
  const stub = stubFor(c.env, peer)
  const body = await jsonBody(c.req.raw)
  const after = seqOf(body.after, 'after')
  checkSignedRequest('fetch', peer, body as Partial<SignedRequest>, String(after))
  return c.json({ messages: await stub.fetchAfter(after) }, 200, { 'Cache-Control': 'no-store' })
})

mailboxRoutes.post(`${base}/:peer/ack`, requireNetworkKey, async (c) => {
  const peer = c.req.param('peer')
  const stub = stubFor(c.env, peer)
  const body = await jsonBody(c.req.raw)
  const upTo = seqOf(body.upTo, 'upTo')
  checkSignedRequest('ack', peer, body as Partial<SignedRequest>, String(upTo))
  return c.json({ deleted: await stub.ack(upTo) }, 200, { 'Cache-Control': 'no-store' })
})

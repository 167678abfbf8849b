/**
 * Private-network credential proof, `/edgeswarm/auth/1.0.0` (both sides, WebCrypto only).
 *
 * Wire (raw bytes on one libp2p stream, no length prefixes), opened by the relay on every new
 * inbound connection:
 * 1. relay → peer: 32-byte random nonce;
 * 2. peer → relay: 32-byte HMAC-SHA-256(networkKey, nonce ‖ relayPeerId ‖ peerId), peer IDs as
 *    multihash bytes, so a proof is bound to both ends and cannot be replayed to another relay;
 * 3. relay → peer: one status byte (`AuthStatus`: 0 OK, 1 PERMISSION_DENIED, 2 MALFORMED); both close.
 * The key is the NETWORK_KEY string, UTF-8. Failures on the wire are status codes only. A peer that
 * does not speak the protocol (a stock libp2p peer) fails the challenge; the relay's gater then refuses
 * its reservations and circuits with PERMISSION_DENIED and closes it after AUTH_GRACE_SECONDS.
 *
 * @example
 * ```ts
 * // peer side: answer the relay's challenge
 * createLibp2p({ services: { auth: networkAuth({ networkKey: 'secret' }) }, ... })
 * ```
 */
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { AUTH_NONCE_BYTES, AUTH_PROOF_BYTES, AUTH_PROTOCOL } from './constants.ts'

/** Status byte the relay sends after checking the proof. */
export const AuthStatus = {
  OK: 0,
  PERMISSION_DENIED: 1,
  MALFORMED: 2,
} as const
export type AuthStatusCode = (typeof AuthStatus)[keyof typeof AuthStatus]

/** An imported network key (WebCrypto HMAC-SHA-256 key; `CryptoKey` is not a global type in every runtime's typings). */
export type NetworkKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

/** Milliseconds one side waits for the other during the exchange. */
const AUTH_EXCHANGE_TIMEOUT_MS = 10_000

/** Imports the network key (the NETWORK_KEY secret, UTF-8) as an HMAC-SHA-256 key. */
export async function importNetworkKey(networkKey: string): Promise<NetworkKey> {
  return crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(networkKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  )
}

export function createAuthNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(AUTH_NONCE_BYTES))
}

function authMessage(nonce: Uint8Array, relay: PeerId, peer: PeerId): Uint8Array<ArrayBuffer> {
  const r = relay.toMultihash().bytes
  const p = peer.toMultihash().bytes
  const out = new Uint8Array(nonce.byteLength + r.byteLength + p.byteLength)
  out.set(nonce, 0)
  out.set(r, nonce.byteLength)
  out.set(p, nonce.byteLength + r.byteLength)
  return out
}

/** HMAC-SHA-256(key, nonce ‖ relayPeerId ‖ peerId). */
export async function computeAuthProof(
  key: NetworkKey,
  nonce: Uint8Array,
  relay: PeerId,
  peer: PeerId,
): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, authMessage(nonce, relay, peer)))
}

/** Constant-time check of a proof (WebCrypto's HMAC verify). */
export async function verifyAuthProof(
  key: NetworkKey,
  nonce: Uint8Array,
  relay: PeerId,
  peer: PeerId,
  proof: Uint8Array,
): Promise<boolean> {
  if (proof.byteLength !== AUTH_PROOF_BYTES) return false
  return crypto.subtle.verify('HMAC', key, new Uint8Array(proof), authMessage(nonce, relay, peer))
}

export interface AuthExchangeOptions {
  key: NetworkKey
  /** This end's peer ID (relay side: the relay; peer side: the peer). */
  self: PeerId
  /** The other end's peer ID. */
  remote: PeerId
  signal?: AbortSignal
}

/**
 * Relay side: challenge the peer on `stream`, verify its proof, send the status byte and close.
 * Resolves to the status sent; never throws for a wrong or malformed answer.
 */
export async function challengePeer(stream: Stream, opts: AuthExchangeOptions): Promise<AuthStatusCode> {
  const signal = opts.signal ?? AbortSignal.timeout(AUTH_EXCHANGE_TIMEOUT_MS)
  const bytes = byteStream(stream, { maxBufferSize: AUTH_PROOF_BYTES * 2 })
  const nonce = createAuthNonce()
  await bytes.write(nonce, { signal })
  let status: AuthStatusCode = AuthStatus.MALFORMED
  try {
    const proof = await bytes.read({ bytes: AUTH_PROOF_BYTES, signal })
    const ok = await verifyAuthProof(opts.key, nonce, opts.self, opts.remote, proof.subarray())
    status = ok ? AuthStatus.OK : AuthStatus.PERMISSION_DENIED
  } catch (err) {
    if (signal.aborted || stream.status !== 'open') throw err
  }
  await bytes.write(Uint8Array.of(status), { signal })
  await stream.close({ signal })
  return status
}

/** Peer side: answer the relay's challenge on `stream`; resolves to the relay's status byte. */
export async function answerChallenge(stream: Stream, opts: AuthExchangeOptions): Promise<AuthStatusCode> {
  const signal = opts.signal ?? AbortSignal.timeout(AUTH_EXCHANGE_TIMEOUT_MS)
  const bytes = byteStream(stream, { maxBufferSize: AUTH_NONCE_BYTES * 2 })
  const nonce = await bytes.read({ bytes: AUTH_NONCE_BYTES, signal })
  const proof = await computeAuthProof(opts.key, nonce.subarray(), opts.remote, opts.self)
  await bytes.write(proof, { signal })
  const status = await bytes.read({ bytes: 1, signal })
  await stream.close({ signal })
  const code = status.get(0)
  return code === AuthStatus.OK || code === AuthStatus.PERMISSION_DENIED ? code : AuthStatus.MALFORMED
}

export interface NetworkAuthInit {
  /** The private network's shared key (the relay's NETWORK_KEY). */
  networkKey: string
}

export interface NetworkAuthComponents {
  peerId: PeerId
  registrar: {
    handle(
      protocol: string,
      handler: (stream: Stream, connection: Connection) => void | Promise<void>,
      opts?: { runOnLimitedConnection?: boolean },
    ): Promise<void>
    unhandle(protocol: string): Promise<void>
  }
}

/** Peer-side libp2p service: answers `/edgeswarm/auth/1.0.0` challenges from relays. */
export class NetworkAuth implements Startable {
  readonly #components: NetworkAuthComponents
  readonly #key: Promise<NetworkKey>
  /** Status byte of the last answered challenge per relay peer ID (for diagnostics and tests). */
  readonly results = new Map<string, AuthStatusCode>()

  constructor(components: NetworkAuthComponents, init: NetworkAuthInit) {
    this.#components = components
    this.#key = importNetworkKey(init.networkKey)
  }

  readonly [Symbol.toStringTag] = '@edgeswarm/network-auth'

  async start(): Promise<void> {
    await this.#components.registrar.handle(AUTH_PROTOCOL, (stream, connection) =>
      this.#onStream(stream, connection),
    )
  }

  async stop(): Promise<void> {
    await this.#components.registrar.unhandle(AUTH_PROTOCOL)
  }

  async #onStream(stream: Stream, connection: Connection): Promise<void> {
    try {
      const status = await answerChallenge(stream, {
        key: await this.#key,
        self: this.#components.peerId,
        remote: connection.remotePeer,
      })
      this.results.set(connection.remotePeer.toString(), status)
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

export function networkAuth(init: NetworkAuthInit): (components: NetworkAuthComponents) => NetworkAuth {
  return (components) => new NetworkAuth(components, init)
}

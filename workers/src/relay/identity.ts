/**
 * Stable identity of a relay shard. With RELAY_IDENTITY_SECRET set, the shard's Ed25519 key derives
 * from HKDF-SHA-256(secret, info = "shard-<name>") (WebCrypto), so every deployment of the same
 * secret yields the same peer IDs; otherwise a key is generated once and kept in Durable Object storage.
 */
import {
  generateKeyPair,
  generateKeyPairFromSeed,
  privateKeyFromProtobuf,
  privateKeyToProtobuf,
} from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IdentityError } from '#shared/errors.ts'

const HKDF_SALT = 'edgeswarm/relay-identity/v1'
const STORAGE_KEY = 'identity:ed25519'

export interface KeyStorage {
  get<T>(key: string): Promise<T | undefined>
  put<T>(key: string, value: T): Promise<void>
}

export async function deriveShardKey(secret: string, shard: string): Promise<PrivateKey> {
  const enc = new TextEncoder()
  const ikm = await crypto.subtle.importKey('raw', enc.encode(secret), 'HKDF', false, ['deriveBits'])
  const seed = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: enc.encode(HKDF_SALT), info: enc.encode(`shard-${shard}`) },
    ikm,
    256,
  )
  return generateKeyPairFromSeed('Ed25519', new Uint8Array(seed))
}

export async function loadShardKey(storage: KeyStorage, shard: string, secret?: string): Promise<PrivateKey> {
  if (secret !== undefined && secret !== '') return deriveShardKey(secret, shard)
  const stored = await storage.get<Uint8Array>(STORAGE_KEY)
  if (stored !== undefined) {
    try {
      return privateKeyFromProtobuf(new Uint8Array(stored))
    } catch (err) {
      throw new IdentityError(`stored identity of shard ${shard} is unreadable: ${String(err)}`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  await storage.put(STORAGE_KEY, privateKeyToProtobuf(key))
  return key
}

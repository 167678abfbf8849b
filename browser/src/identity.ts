/**
 * The tab's libp2p identity, kept in localStorage so that a reload keeps the same peer ID. An Ed25519
 * key in libp2p's protobuf encoding, base64. "Reset identity" removes it; the next load makes a new one.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { toString as bytesToString, fromString } from 'uint8arrays'
import { IdentityError } from '#shared/errors.ts'

export const IDENTITY_STORAGE_KEY = 'edgeswarm:identity'

export interface Identity {
  privateKey: PrivateKey
  /** True when this load created the key (first visit, or after a reset). */
  created: boolean
  /** False when storage refused the key (disabled, full, private mode): the ID lasts this page only. */
  persisted: boolean
}

export async function loadIdentity(storage: Storage = localStorage): Promise<Identity> {
  let saved: string | null = null
  try {
    saved = storage.getItem(IDENTITY_STORAGE_KEY)
  } catch (err) {
    console.error(new IdentityError(`localStorage is not readable: ${String(err)}`))
  }
  if (saved !== null) {
    try {
      return {
        privateKey: privateKeyFromProtobuf(fromString(saved, 'base64pad')),
        created: false,
        persisted: true,
      }
    } catch (err) {
      // a corrupt entry must not lock the tab out of the overlay: say so, then make a new key
      console.error(
        new IdentityError(`localStorage[${IDENTITY_STORAGE_KEY}] is not a libp2p private key`),
        err,
      )
    }
  }
  const privateKey = await generateKeyPair('Ed25519')
  try {
    storage.setItem(IDENTITY_STORAGE_KEY, bytesToString(privateKeyToProtobuf(privateKey), 'base64pad'))
    return { privateKey, created: true, persisted: true }
  } catch (err) {
    console.error(new IdentityError(`could not keep the identity in localStorage: ${String(err)}`))
    return { privateKey, created: true, persisted: false }
  }
}

export function resetIdentity(storage: Storage = localStorage): void {
  storage.removeItem(IDENTITY_STORAGE_KEY)
}

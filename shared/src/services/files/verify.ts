/**
 * Block verification: a block is accepted only if its bytes hash to the digest in its CID. SHA-256 is
 * native everywhere we run (Node's crypto, WebCrypto in browsers), through multiformats' hasher.
 */
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

const SHA2_256 = 0x12

/** True when `bytes` hash to `cid`'s SHA-256 multihash; any other hash function is refused. */
export async function verifyBlock(cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (cid.multihash.code !== SHA2_256) return false
  const digest = await sha256.digest(bytes)
  const want = cid.multihash.digest
  if (digest.digest.length !== want.length) return false
  let diff = 0
  for (let i = 0; i < want.length; i++) diff |= digest.digest[i]! ^ want[i]!
  return diff === 0
}

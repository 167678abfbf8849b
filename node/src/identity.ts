/**
 * Persistent node identity: one Ed25519 private key in `<data-dir>/identity.key` (libp2p protobuf
 * encoding, base64 on one line), created on first run with mode 0600.
 *
 * A key file that other users can read is refused rather than silently used or "fixed": whoever could
 * read it can impersonate the node, so the operator must decide (`chmod 600`, or delete it for a new
 * identity).
 *
 * @example
 * ```ts
 * const key = await loadOrCreateIdentity('/var/lib/edgeswarm')
 * ```
 */
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IdentityError } from '#shared/errors.ts'

export const IDENTITY_FILE = 'identity.key'

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Creates the data dir (mode 0700) if it does not exist. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new IdentityError(`cannot create data dir ${dataDir}: ${describe(err)}`)
  }
}

export async function loadOrCreateIdentity(dataDir: string): Promise<PrivateKey> {
  await ensureDataDir(dataDir)
  const file = join(dataDir, IDENTITY_FILE)
  let info: import('node:fs').Stats | undefined
  try {
    info = await stat(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityError(`cannot read identity key ${file}: ${describe(err)}`)
    }
  }
  if (info === undefined) return createIdentity(file)
  if (!info.isFile()) throw new IdentityError(`identity key ${file} is not a regular file`)
  if ((info.mode & 0o077) !== 0) {
    throw new IdentityError(
      `identity key ${file} is readable by other users (mode ${(info.mode & 0o777).toString(8)}), expected 600: run chmod 600 ${file}`,
    )
  }
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new IdentityError(`cannot read identity key ${file}: ${describe(err)}`)
  }
  const b64 = text.trim()
  try {
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new Error('not base64')
    const key = privateKeyFromProtobuf(Buffer.from(b64, 'base64'))
    if (key.type !== 'Ed25519') throw new Error(`key type ${key.type}, expected Ed25519`)
    return key
  } catch (err) {
    throw new IdentityError(
      `identity key ${file} is corrupt (${describe(err)}): expected a base64 libp2p Ed25519 private key; move it away to create a new identity`,
    )
  }
}

async function createIdentity(file: string): Promise<PrivateKey> {
  const key = await generateKeyPair('Ed25519')
  const body = `${Buffer.from(privateKeyToProtobuf(key)).toString('base64')}\n`
  try {
    // 'wx': never overwrite a key another process created meanwhile
    const handle = await open(file, 'wx', 0o600)
    try {
      await handle.writeFile(body)
    } finally {
      await handle.close()
    }
    await chmod(file, 0o600)
  } catch (err) {
    throw new IdentityError(`cannot write identity key ${file}: ${describe(err)}`)
  }
  return key
}

import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_FILE, loadOrCreateIdentity } from './identity.ts'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgeswarm-id-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('identity', () => {
  it('creates an Ed25519 key with mode 0600 and reloads the same peer ID', async () => {
    const dir = join(tempDir(), 'nested')
    const first = await loadOrCreateIdentity(dir)
    expect(first.type).toBe('Ed25519')
    expect(statSync(join(dir, IDENTITY_FILE)).mode & 0o777).toBe(0o600)
    const again = await loadOrCreateIdentity(dir)
    expect(peerIdFromPrivateKey(again).toString()).toBe(peerIdFromPrivateKey(first).toString())
  })

  it('names a corrupt key file', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, IDENTITY_FILE), 'not a key!\n', { mode: 0o600 })
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({
      name: 'IdentityError',
      message: expect.stringMatching(/identity\.key is corrupt/),
    })
    writeFileSync(join(dir, IDENTITY_FILE), 'AAAA\n', { mode: 0o600 })
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({ name: 'IdentityError' })
  })

  it('refuses a key file other users can read', async () => {
    const dir = tempDir()
    await loadOrCreateIdentity(dir)
    chmodSync(join(dir, IDENTITY_FILE), 0o644)
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({
      name: 'IdentityError',
      message: expect.stringMatching(/readable by other users .*chmod 600/),
    })
  })
})

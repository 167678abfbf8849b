import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { deriveShardKey, type KeyStorage, loadShardKey } from './identity.ts'

function memoryStorage(): KeyStorage & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>()
  return {
    data,
    get: async <T>(k: string) => data.get(k) as T | undefined,
    put: async <T>(k: string, v: T) => {
      data.set(k, v)
    },
  }
}

const id = async (k: Parameters<typeof peerIdFromPrivateKey>[0]) => peerIdFromPrivateKey(k).toString()

describe('shard identity', () => {
  it('derives a stable, per-shard Ed25519 key from the secret', async () => {
    const a0 = await id(await deriveShardKey('secret', '0'))
    expect(await id(await deriveShardKey('secret', '0'))).toBe(a0)
    expect(await id(await deriveShardKey('secret', '1'))).not.toBe(a0)
    expect(await id(await deriveShardKey('other', '0'))).not.toBe(a0)
    expect(a0).toMatch(/^12D3KooW/)
  })

  it('uses the secret when set and does not touch storage', async () => {
    const storage = memoryStorage()
    const key = await loadShardKey(storage, '0', 'secret')
    expect(await id(key)).toBe(await id(await deriveShardKey('secret', '0')))
    expect(storage.data.size).toBe(0)
  })

  it('otherwise generates a key once and persists it', async () => {
    const storage = memoryStorage()
    const first = await id(await loadShardKey(storage, '0'))
    expect(storage.data.size).toBe(1)
    expect(await id(await loadShardKey(storage, '0'))).toBe(first)
  })

  it('reports an unreadable stored key as IdentityError', async () => {
    const storage = memoryStorage()
    await storage.put('identity:ed25519', new Uint8Array([1, 2, 3]))
    await expect(loadShardKey(storage, '0')).rejects.toMatchObject({ name: 'IdentityError' })
  })
})

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PRIVATE_IP_SIGNATURE, rewritePrivateIpSource } from './private-ip.ts'

describe('contract: @libp2p/utils isPrivateIp', () => {
  it('the installed private-ip.js has the line the load hook extends', () => {
    const index = fileURLToPath(import.meta.resolve('@libp2p/utils'))
    const source = readFileSync(index.replace(/index\.js$/, 'private-ip.js'), 'utf8')
    expect(source).toContain(PRIVATE_IP_SIGNATURE)
    expect(rewritePrivateIpSource(source, '__g')).toContain(
      'if (globalThis.__g?.(ip) === true) return false;',
    )
  })

  it('fails loudly when the line is gone', () => {
    expect(() => rewritePrivateIpSource('export const isPrivateIp = () => true', '__g')).toThrow(
      /no longer has/,
    )
  })
})

import type { Transport } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { allowHttpPath, withoutHttpPath } from './http-path.ts'

const SHARD_1 =
  '/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1/p2p/12D3KooWKuE61c5e5DL1Kep1ZtwdtYYrB4pLqKzitaGT7FGxP3gN'

/** A transport whose filters, like multiaddr-matcher's, reject any address with /http-path. */
function strictTransport(_components: never): Transport {
  const filter = (addrs: ReturnType<typeof multiaddr>[]) =>
    addrs.filter((a) => !a.getComponents().some((c) => c.name === 'http-path'))
  return { dialFilter: filter, listenFilter: filter } as unknown as Transport
}

describe('http-path', () => {
  it('strips /http-path and keeps everything else', () => {
    expect(withoutHttpPath(multiaddr(SHARD_1)).toString()).toBe(
      '/ip4/127.0.0.1/tcp/8787/ws/p2p/12D3KooWKuE61c5e5DL1Kep1ZtwdtYYrB4pLqKzitaGT7FGxP3gN',
    )
  })

  it('lets a shard address through the wrapped filters, unchanged', () => {
    const addr = multiaddr(SHARD_1)
    expect(strictTransport(undefined as never).dialFilter([addr])).toHaveLength(0)
    let created: Transport | undefined
    const transport = allowHttpPath(strictTransport, (t) => {
      created = t
    })(undefined as never)
    expect(created).toBe(transport)
    const passed = transport.dialFilter([addr, multiaddr('/ip4/127.0.0.1/udp/1/quic-v1/http-path/x')])
    expect(passed.map(String)).toEqual([SHARD_1, '/ip4/127.0.0.1/udp/1/quic-v1/http-path/x'])
    expect(transport.listenFilter([addr]).map(String)).toEqual([SHARD_1])
  })
})

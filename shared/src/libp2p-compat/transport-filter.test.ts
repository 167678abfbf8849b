import { defaultLogger } from '@libp2p/logger'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { withoutHttpPath } from '../http-path.ts'
import { rewriteTransportFilters } from './transport-filter.ts'

const HTTP_PATH = '/ip4/127.0.0.1/tcp/8787/ws/http-path/relay%2F1'
const components = { logger: defaultLogger() } as never

describe('contract: transport dial/listen filters', () => {
  it('the stock websockets filter rejects /http-path (why the rewrite exists) and accepts plain /ws', () => {
    const stock = webSockets()(components)
    expect(stock.dialFilter([multiaddr(HTTP_PATH)])).toHaveLength(0)
    expect(stock.dialFilter([multiaddr('/ip4/127.0.0.1/tcp/8787/ws')])).toHaveLength(1)
  })

  it('the rewritten filters judge the address without /http-path and keep the original', () => {
    let created: unknown
    const t = rewriteTransportFilters(webSockets(), withoutHttpPath, (x) => {
      created = x
    })(components)
    expect(created).toBe(t)
    const out = t.dialFilter([multiaddr(HTTP_PATH), multiaddr('/ip4/127.0.0.1/tcp/1/http')])
    expect(out.map(String)).toEqual([HTTP_PATH])
  })
})

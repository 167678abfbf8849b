import type { ComponentLogger, Logger } from '@libp2p/interface'
import { describe, expect, it, vi } from 'vitest'
import { relayLogger } from './relay-logger.ts'

function stubLogger(): ComponentLogger & { errors: unknown[][] } {
  const errors: unknown[][] = []
  const make = (): Logger => {
    const log = (() => {}) as unknown as Logger
    log.error = (...args: unknown[]) => errors.push(args)
    log.trace = () => {}
    log.enabled = false
    log.newScope = () => make()
    return log
  }
  return { errors, forComponent: () => make() }
}

describe('relayLogger', () => {
  it('reports circuit-relay server errors with their cause and still logs them', () => {
    const base = stubLogger()
    const onError = vi.fn()
    const log = relayLogger(onError, base).forComponent('libp2p:circuit-relay:server')
    const cause = new Error('The operation was aborted due to timeout')
    log.error('error while handling hop - %e', cause)
    expect(onError.mock.calls[0]?.[0]).toBe('libp2p:circuit-relay:server: error while handling hop - %e')
    expect(onError.mock.calls[0]?.[1]).toMatchObject({
      message: 'error while handling hop - The operation was aborted due to timeout',
      cause,
    })
    expect(base.errors).toHaveLength(1)
  })

  it('fills placeholders when no Error is logged', () => {
    const onError = vi.fn()
    relayLogger(onError, stubLogger())
      .forComponent('libp2p:circuit-relay:server:reservation-store')
      .newScope('x')
      .error('denied for peer %p with status %s (100%%)', 'QmPeer', 'NO_RESERVATION')
    expect(onError.mock.calls[0]?.[0]).toBe(
      'libp2p:circuit-relay:server:reservation-store:x: denied for peer %p with status %s (100%%)',
    )
    expect(onError.mock.calls[0]?.[1]).toMatchObject({
      message: 'denied for peer QmPeer with status NO_RESERVATION (100%)',
    })
  })

  it('reports the connection monitor dropping a peer', () => {
    const onError = vi.fn()
    relayLogger(onError, stubLogger())
      .forComponent('libp2p:connection-monitor')
      .error('aborting connection due to ping failure')
    expect(onError.mock.calls[0]?.[0]).toBe(
      'libp2p:connection-monitor: aborting connection due to ping failure',
    )
  })

  it('leaves other components alone', () => {
    const onError = vi.fn()
    relayLogger(onError, stubLogger()).forComponent('libp2p:yamux').error('boom %e', new Error('x'))
    expect(onError).not.toHaveBeenCalled()
  })
})

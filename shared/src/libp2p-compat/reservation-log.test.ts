import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defaultLogger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import {
  RESERVATION_FAILED_FORMAT,
  RESERVATION_STORE_COMPONENT,
  reservationErrorLogger,
} from './reservation-log.ts'

describe('contract: circuit-relay-v2 reservation refusal log line', () => {
  it('the installed reservation store logs refusals with this component name and format', () => {
    const index = fileURLToPath(import.meta.resolve('@libp2p/circuit-relay-v2'))
    const source = readFileSync(index.replace(/index\.js$/, 'transport/reservation-store.js'), 'utf8')
    expect(source).toContain(`forComponent('${RESERVATION_STORE_COMPONENT}')`)
    expect(source).toContain(`this.log.error('${RESERVATION_FAILED_FORMAT}', peerId,`)
  })

  it('passes that line on, and leaves every other logger alone', () => {
    const seen: Array<[string, string]> = []
    const logger = reservationErrorLogger(defaultLogger(), (relay, message) => seen.push([relay, message]))
    logger.forComponent('libp2p:other').error(RESERVATION_FAILED_FORMAT, 'x', 1, new Error('no'))
    logger
      .forComponent(RESERVATION_STORE_COMPONENT)
      .error(RESERVATION_FAILED_FORMAT, 'relay-a', 12, new Error('refused: RESERVATION_REFUSED'))
    expect(seen).toEqual([['relay-a', 'refused: RESERVATION_REFUSED']])
  })
})

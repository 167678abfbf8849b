import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEventLog } from './events.ts'

describe('event log', () => {
  it('writes one JSON line per event, filters stderr by level, keeps info+ in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeswarm-ev-'))
    try {
      const lines: string[] = []
      const file = join(dir, 'events.jsonl')
      const log = createEventLog({ level: 'warn', file, write: (l) => lines.push(l) })
      log('reservation.made', { shard: '0', relay: 'R' })
      log('reservation.lost', { shard: '0', relay: 'R', reason: 'gone' }, 'warn')
      log('relay.circuit', { event: 'circuit', result: 'opened' }, 'debug')
      expect(lines.map((l) => JSON.parse(l).event)).toEqual(['reservation.lost'])
      const stored = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(stored.map((e) => e.event)).toEqual(['reservation.made', 'reservation.lost'])
      expect(stored[0]).toMatchObject({ level: 'info', shard: '0', relay: 'R' })
      expect(Object.keys(stored[0]).slice(0, 3)).toEqual(['ts', 'level', 'event'])
      // a field named `event` never replaces the event's name
      const all: string[] = []
      createEventLog({ level: 'debug', write: (l) => all.push(l) })(
        'relay.circuit',
        { event: 'circuit' },
        'debug',
      )
      expect(JSON.parse(all[0]!).event).toBe('relay.circuit')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/**
 * Driver for the thing under test: `edgeswarm node` (bin/edgeswarm.mjs) in a lab home, with the lab's
 * STUN server and `--public-cidr` for the lab's documentation range. Reads the daemon's structured
 * events from `<data-dir>/events.jsonl` (stable names, node/src/events.ts) and drives it through the
 * CLI (`status`, `ping`, `send`) run inside the same namespace, as a person would.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../../helpers/wait.ts'
import { NODE, PUBLIC_CIDR } from '../lab.ts'
import type { LabPeer, PathKind, PeerDriver, ReceiveRecord } from './types.ts'

export const CLI = join(import.meta.dirname, '..', '..', '..', 'bin', 'edgeswarm.mjs')

type Event = Record<string, unknown> & { event: string; ts: string }

/** Why the daemon driver cannot run yet, or undefined when it can. */
export function daemonMissing(): string | undefined {
  return existsSync(CLI) ? undefined : `${CLI} does not exist yet`
}

function readEvents(dataDir: string): Event[] {
  const file = join(dataDir, 'events.jsonl')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event)
}

/** The JSON document a CLI command printed with `--json` (pretty-printed, so parse from the first brace). */
function lastJson(out: string): Record<string, unknown> {
  const start = out.indexOf('{')
  if (start < 0) throw new Error(`expected JSON from the CLI, got: ${out.slice(-500)}`)
  return JSON.parse(out.slice(start)) as Record<string, unknown>
}

function asPath(v: unknown): PathKind {
  const s = String(v)
  if (s.startsWith('relayed')) return 'relayed'
  if (s === 'direct-webrtc' || s === 'direct-tcp' || s === 'direct-ws') return s
  throw new Error(`unknown path ${JSON.stringify(v)}`)
}

export const daemonDriver: PeerDriver = {
  name: 'edgeswarm daemon',
  async start({ lab, edge, home, dataDir }) {
    const spawnedAt = Date.now()
    const proc = lab.spawn(home.host, [
      NODE,
      CLI,
      'node',
      '--bootstrap',
      edge.url,
      '--data-dir',
      dataDir,
      '--stun',
      lab.stunUrl,
      '--public-cidr',
      PUBLIC_CIDR,
    ])
    const events = () => readEvents(dataDir)
    // a restart reuses the data dir: until the new daemon truncates events.jsonl, the old daemon's
    // events are still there, so only events written after this spawn count
    const fresh = (e: Event) => Date.parse(e.ts) >= spawnedAt
    const next = (what: string, match: (e: Event) => boolean, timeoutMs = 60_000, after = 0) =>
      waitFor(
        what,
        () => {
          if (proc.exited()) throw new Error(`daemon exited:\n${proc.output().slice(-2000)}`)
          return events()
            .slice(after)
            .find((e) => fresh(e) && match(e))
        },
        timeoutMs,
        25,
      )
    const cli = async (args: string[]) => {
      try {
        return await lab.exec(home.host, [NODE, CLI, ...args, '--data-dir', dataDir])
      } catch (err) {
        const tail = proc.output().split('\n').slice(-40).join('\n')
        throw new Error(`${(err as Error).message}\n--- daemon in ${home.host} (last lines) ---\n${tail}`)
      }
    }
    const started = await next(`daemon in ${home.host} to start`, (e) => e.event === 'node.started', 30_000)
    const reserved = await next(
      `relay reservation of the daemon in ${home.host}`,
      (e) => e.event === 'reservation.made',
    )
    let connectStartedAt = Date.now()
    const peer: LabPeer = {
      peerId: started.peerId as string,
      home,
      dataDir,
      shards: () => {
        const held = new Set<string>()
        for (const e of events()) {
          if (e.event === 'reservation.made') held.add(String(e.shard))
          if (e.event === 'reservation.lost') held.delete(String(e.shard))
        }
        return [...held]
      },
      reservedMs: Date.parse(reserved.ts) - spawnedAt,
      output: () => proc.output(),
      async connect(to) {
        // The CLI reports no dial time, so: dial to first byte = wall time of the first `ping` (CLI
        // start-up + dial + one round trip) minus the CLI's start-up, the fastest of two `transfers`
        // calls (which touch no network) made just before. Noisy at the tens-of-ms level.
        let overhead = Number.POSITIVE_INFINITY
        for (let i = 0; i < 2; i++) {
          const t = Date.now()
          await cli(['transfers', '--json'])
          overhead = Math.min(overhead, Date.now() - t)
        }
        connectStartedAt = Date.now()
        const first = lastJson(await cli(['ping', to.peerId, '--json']))
        const wall = Date.now() - connectStartedAt
        return { path: asPath(first.path), dialMs: Math.max(0, wall - overhead) }
      },
      async waitDirect(to, timeoutMs) {
        const res = lastJson(await cli(['dial', to.peerId, '--wait-direct', String(timeoutMs), '--json']))
        if (res.direct !== true) return undefined
        const ev = events().find((e) => e.event === 'path.direct' && e.peer === to.peerId)
        // relayed -> verified direct, as the daemon timed it (`afterMs`: from the relayed connection
        // opening to the direct one answering a ping), without the CLI's own start-up; the stock
        // driver likewise times its dial and ping inside the process
        if (typeof ev?.afterMs === 'number') {
          return {
            path: asPath(res.path),
            upgradeMs: ev.afterMs,
            ...(typeof ev.startMs === 'number' ? { startMs: ev.startMs } : {}),
            ...(typeof ev.dialMs === 'number' ? { dialMs: ev.dialMs } : {}),
            ...(typeof ev.phases === 'object' && ev.phases !== null
              ? { phases: ev.phases as Record<string, number> }
              : {}),
          }
        }
        const at = ev === undefined ? Date.now() : Date.parse(ev.ts)
        return { path: asPath(res.path), upgradeMs: Math.max(0, at - connectStartedAt) }
      },
      async send(to, bytes) {
        const res = lastJson(await cli(['send', to.peerId, '--bytes', String(bytes), '--json']))
        return {
          path: asPath(res.path),
          ...(typeof res.shard === 'string' ? { shard: res.shard } : {}),
          bytes: Number(res.bytes ?? bytes),
          sha256: String(res.sha256),
          remoteSha256: String(res.remoteSha256 ?? ''),
          dialMs: 0,
          transferMs: Number(res.ms ?? 0),
        }
      },
      async received(from, timeoutMs = 30_000) {
        const e = await next(
          `transfer from ${from.peerId} to arrive`,
          (x) => x.event === 'transfer.received' && x.peer === from.peerId && Number(x.bytes) > 1,
          timeoutMs,
        )
        return { from: from.peerId, bytes: Number(e.bytes), sha256: String(e.sha256), path: asPath(e.path) }
      },
      stop: () => proc.stop(),
    }
    return peer
  },
}

export type { ReceiveRecord }

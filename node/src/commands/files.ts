/**
 * `edgeswarm share|get|files|unshare`: file sharing through the running daemon (the daemon runs the
 * `files` service; these commands only talk to its control API). Paths are resolved here, against the
 * CLI's working directory, and sent absolute.
 *
 * @example
 * ```sh
 * edgeswarm share ./photos            # prints the CID
 * edgeswarm get bafy... -o ./photos2  # progress bar on a terminal, --json for one summary
 * ```
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_FILES_FIND_TIMEOUT_MS } from '#shared/defaults.ts'
import { InvalidInputError } from '#shared/errors.ts'
import { callDaemon, streamDaemon } from '../control/client.ts'
import { type ClientFlags, clientCommand, dataDirOf } from './program.ts'

interface SharedView {
  cid: string
  name: string
  type: string
  bytes: number
  origin: string
  addedAt: string
}

interface ProgressLine {
  type: 'progress' | 'done'
  bytes: number
  totalBytes: number
  peers: number
  rateBytesPerSec: number
  etaMs: number | null
}

const MiB = 1024 * 1024
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`

export function formatProgress(p: ProgressLine): string {
  const pct = p.totalBytes > 0 ? Math.floor((p.bytes * 100) / p.totalBytes) : 100
  const width = 24
  const filled = Math.round((pct / 100) * width)
  const eta = p.etaMs === null ? '?' : `${Math.ceil(p.etaMs / 1000)} s`
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%  ${mib(p.bytes)} / ${mib(p.totalBytes)}  ${(p.rateBytesPerSec / 1e6).toFixed(1)} MB/s  peers ${p.peers}  ETA ${eta}`
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|ki|kib|m|mi|mib|g|gi|gib)?b?$/i.exec(text.trim())
  if (m === null)
    throw new InvalidInputError(`--max-bytes must be a size like 64MiB, got ${JSON.stringify(text)}`)
  const unit = (m[2] ?? '').toLowerCase()[0]
  const mul = unit === 'k' ? 1024 : unit === 'm' ? MiB : unit === 'g' ? 1024 * MiB : 1
  return Math.floor(Number(m[1]) * mul)
}

export function registerFilesCommands(program: Command): void {
  clientCommand(program, 'share <path>', 'share a file or a directory; prints its CID').action(
    async (path: string, flags: ClientFlags) => {
      const rec = (await callDaemon(
        dataDirOf(flags),
        'POST',
        '/v1/files/share',
        {
          path: resolve(path),
        },
        10 * 60_000,
      )) as SharedView
      process.stdout.write(flags.json === true ? `${JSON.stringify(rec)}\n` : `${rec.cid}\n`)
    },
  )

  clientCommand(
    program,
    'get <cid>',
    'download a CID from the swarm (every chunk verified) and keep serving it',
  )
    .option('-o, --output <path>', 'where to write it (default: ./<cid>); must not exist')
    .option('--max-bytes <size>', 'refuse content larger than this (e.g. 512MiB)')
    .option(
      '--timeout <seconds>',
      `fail when no peer provides the CID within this time (default ${DEFAULT_FILES_FIND_TIMEOUT_MS / 1000})`,
    )
    .action(
      async (cid: string, flags: ClientFlags & { output?: string; maxBytes?: string; timeout?: string }) => {
        const out = resolve(flags.output ?? cid)
        const body: Record<string, unknown> = { cid, out }
        if (flags.maxBytes !== undefined) body.maxBytes = parseSize(flags.maxBytes)
        if (flags.timeout !== undefined) {
          const s = Number(flags.timeout)
          if (!(s > 0))
            throw new InvalidInputError(
              `--timeout must be a positive number of seconds, got ${flags.timeout}`,
            )
          body.findTimeoutMs = s * 1000
        }
        const tty = flags.json !== true && process.stderr.isTTY === true
        const stop = new AbortController()
        const onSigint = () => stop.abort()
        process.once('SIGINT', onSigint)
        try {
          for await (const raw of streamDaemon(dataDirOf(flags), 'POST', '/v1/files/get', body, {
            signal: stop.signal,
          })) {
            const line = raw as ProgressLine & Record<string, unknown>
            if (line.type === 'progress' && tty) process.stderr.write(`\r${formatProgress(line)}\x1b[K`)
            if (line.type !== 'done') continue
            if (tty) process.stderr.write(`\r${formatProgress({ ...line, etaMs: 0 })}\x1b[K\n`)
            const { type: _t, peerStats: _p, ...summary } = line
            if (flags.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`)
            else
              process.stdout.write(
                `${line.cid} -> ${line.out}  ${mib(line.bytes)} in ${((line.ms as number) / 1000).toFixed(1)} s from ${line.peers} peers${(line.resumedBytes as number) > 0 ? ` (resumed ${mib(line.resumedBytes as number)})` : ''}\n`,
              )
          }
        } finally {
          process.off('SIGINT', onSigint)
        }
      },
    )

  clientCommand(program, 'files', 'list what this node shares (and has downloaded)').action(
    async (flags: ClientFlags) => {
      const { files } = (await callDaemon(dataDirOf(flags), 'GET', '/v1/files')) as { files: SharedView[] }
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(files)}\n`)
        return
      }
      if (files.length === 0) process.stdout.write('no shared files\n')
      for (const f of files)
        process.stdout.write(
          `${f.cid}  ${f.type.padEnd(9)} ${mib(f.bytes).padStart(11)}  ${f.origin.padEnd(10)} ${f.name}\n`,
        )
    },
  )

  clientCommand(program, 'unshare <cid>', 'stop sharing a CID and free its blocks').action(
    async (cid: string, flags: ClientFlags) => {
      const r = (await callDaemon(dataDirOf(flags), 'POST', '/v1/files/unshare', { cid })) as {
        removed: boolean
      }
      if (flags.json === true) process.stdout.write(`${JSON.stringify(r)}\n`)
      else if (!r.removed) throw new InvalidInputError(`${cid} is not shared by this node`)
      else process.stdout.write(`unshared ${cid}\n`)
    },
  )
}

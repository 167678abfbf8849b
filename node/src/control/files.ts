/**
 * Where the CLI finds a running daemon: `<data-dir>/control.json` = `{ port, token, pid }`, mode 0600.
 * The token is 32 random bytes (hex); only the data dir's owner can read it, so only they can drive
 * the daemon through its 127.0.0.1 control API.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ControlError } from '#shared/errors.ts'

export const CONTROL_FILE = 'control.json'

export interface ControlInfo {
  port: number
  token: string
  pid: number
}

export function newToken(): string {
  return randomBytes(32).toString('hex')
}

export async function writeControlInfo(dataDir: string, info: ControlInfo): Promise<void> {
  const file = join(dataDir, CONTROL_FILE)
  await rm(file, { force: true })
  await writeFile(file, `${JSON.stringify(info)}\n`, { mode: 0o600, flag: 'wx' })
}

export async function removeControlInfo(dataDir: string, pid: number): Promise<void> {
  const info = await readControlInfo(dataDir).catch(() => undefined)
  if (info?.pid === pid) await rm(join(dataDir, CONTROL_FILE), { force: true })
}

export async function readControlInfo(dataDir: string): Promise<ControlInfo> {
  const file = join(dataDir, CONTROL_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ControlError(
        `no daemon running for data dir ${dataDir} (no ${CONTROL_FILE}); start one with: edgeswarm node --bootstrap <URL> --data-dir ${dataDir}`,
      )
    }
    throw new ControlError(`cannot read ${file}: ${(err as Error).message}`)
  }
  try {
    const v = JSON.parse(text) as ControlInfo
    if (!Number.isInteger(v.port) || typeof v.token !== 'string') throw new Error('bad fields')
    return v
  } catch {
    throw new ControlError(`${file} is corrupt; stop the daemon and delete it`)
  }
}

/** Throws ControlError when a daemon already answers for `dataDir` (two daemons would share one identity). */
export async function assertNoRunningDaemon(dataDir: string): Promise<void> {
  const info = await readControlInfo(dataDir).catch(() => undefined)
  if (info === undefined) return
  const answered = await fetch(`http://127.0.0.1:${info.port}/v1/status`, {
    headers: { authorization: `Bearer ${info.token}` },
    signal: AbortSignal.timeout(2_000),
  })
    .then((res) => res.ok)
    .catch(() => false)
  if (answered) {
    throw new ControlError(
      `a daemon is already running for data dir ${dataDir} (pid ${info.pid}, control port ${info.port})`,
    )
  }
}

/** Process accounting from /proc (Linux): CPU seconds and resident memory of a PID, and finding workerd. */
import { readdirSync, readFileSync } from 'node:fs'

const CLK_TCK = 100 // USER_HZ on Linux

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm may contain spaces: fields after the closing paren are space-separated
    const close = raw.lastIndexOf(')')
    return [raw.slice(0, close + 1), ...raw.slice(close + 2).split(' ')]
  } catch {
    return undefined
  }
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid)
  if (f === undefined) throw new Error(`no process ${pid}`)
  // after comm: [1]=state [2]=ppid ... utime is field 14 overall -> index 12 here, stime 13
  return (Number(f[12]) + Number(f[13])) / CLK_TCK
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m === null ? 0 : Number(m[1]) * 1024
}

/** The first descendant of `root` whose command name is `comm` (e.g. workerd under wrangler). */
export function findDescendant(root: number, comm: string): number | undefined {
  const parent = new Map<number, number>()
  const names = new Map<number, string>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const f = statFields(Number(d))
    if (f === undefined) continue
    parent.set(Number(d), Number(f[2]))
    names.set(Number(d), /\((.*)\)/.exec(f[0] ?? '')?.[1] ?? '')
  }
  for (const [pid, name] of names) {
    if (name !== comm) continue
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) return pid
    }
  }
  return undefined
}

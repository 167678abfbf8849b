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

/**
 * Seconds the process's main thread has spent runnable but waiting for a CPU (/proc/<pid>/schedstat,
 * second field, ns): how starved it was, as opposed to idle or blocked.
 */
export function runQueueSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9
  } catch {
    return 0
  }
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m === null ? 0 : Number(m[1]) * 1024
}

/** Share of the machine's CPU time that was busy between two `machineCpuTimes()` readings (0..1). */
export function machineBusy(before: number[], after: number[]): number {
  const d = after.map((v, i) => v - (before[i] ?? 0))
  const total = d.reduce((a, b) => a + b, 0)
  // /proc/stat cpu line: user nice system idle iowait irq softirq steal ...
  return total === 0 ? 0 : 1 - ((d[3] ?? 0) + (d[4] ?? 0)) / total
}

/** The aggregate `cpu` line of /proc/stat (jiffies per state). */
export function machineCpuTimes(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  return line.trim().split(/\s+/).slice(1).map(Number)
}

/** The first descendant of `root` whose command name is `comm` (e.g. workerd under wrangler). */
export function findDescendant(root: number, comm: string): number | undefined {
  return findDescendants(root, comm)[0]
}

/** Every descendant of `root` whose command name is `comm`, in /proc order. */
export function findDescendants(root: number, comm: string): number[] {
  const parent = new Map<number, number>()
  const names = new Map<number, string>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const f = statFields(Number(d))
    if (f === undefined) continue
    parent.set(Number(d), Number(f[2]))
    names.set(Number(d), /\((.*)\)/.exec(f[0] ?? '')?.[1] ?? '')
  }
  const out: number[] = []
  for (const [pid, name] of names) {
    if (name !== comm) continue
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        out.push(pid)
        break
      }
    }
  }
  return out
}

/**
 * Thin wrappers over `ip netns` for the NAT lab: run a command in a namespace, start a long-running
 * process in one (stopped later by its PID), and clean up namespaces left by crashed earlier runs.
 * Every namespace this suite creates is named `es-<pid>-<role>`, so leftovers are recognisable.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Prefix shared by every namespace this suite creates (`es-<pid>-`). */
export const NS_PREFIX = 'es-'

/** Runs `cmd` in namespace `ns` (or the root namespace when `ns` is empty) and returns its stdout. */
export async function exec(ns: string, cmd: string[], opts: { input?: string } = {}): Promise<string> {
  const argv = ns === '' ? cmd : ['ip', 'netns', 'exec', ns, ...cmd]
  if (opts.input !== undefined) return execWithInput(argv, opts.input)
  try {
    const { stdout } = await execFileAsync(argv[0]!, argv.slice(1), { maxBuffer: 16 * 1024 * 1024 })
    return stdout
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string }
    const said = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim()
    throw new Error(`\`${argv.join(' ')}\` failed: ${said || e.message}`)
  }
}

function execWithInput(argv: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`\`${argv.join(' ')}\` exited ${code}: ${err.trim()}\ninput:\n${input}`))
    })
    child.stdin.end(input)
  })
}

/** A process started inside a namespace; `stop()` signals its own process group by PID. */
export interface NsProcess {
  /** The namespace it runs in ('' for the root namespace). */
  ns: string
  child: ChildProcess
  /** Everything it printed so far (stdout and stderr, last ~100 KB). */
  output: () => string
  exited: () => boolean
  /** Writes a line to its stdin (only when started with `stdin: true`). */
  write: (line: string) => void
  stop: (signal?: NodeJS.Signals) => Promise<void>
}

/** Starts `cmd` inside `ns` in its own process group (so its children can be stopped with it). */
export function spawnIn(
  ns: string,
  cmd: string[],
  env: NodeJS.ProcessEnv = {},
  opts: { stdin?: boolean } = {},
): NsProcess {
  const argv = ns === '' ? cmd : ['ip', 'netns', 'exec', ns, ...cmd]
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...env },
    stdio: [opts.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  let gone = false
  const write = (line: string) => {
    if (gone) return
    child.stdin?.write(line.endsWith('\n') ? line : `${line}\n`)
  }
  // A write racing the process's exit fails with EPIPE: record it rather than crash the runner.
  child.stdin?.on('error', (err) => {
    out += `\n[stdin] ${err.message}\n`
  })
  const onData = (d: Buffer) => {
    out += d.toString()
    if (out.length > 200_000) out = out.slice(-100_000)
    if (process.env.EDGESWARM_DEBUG !== undefined) process.stderr.write(`[${ns}] ${d}`)
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', () => {
      gone = true
      resolve()
    })
  })
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (gone || child.pid === undefined) return
    killGroup(child.pid, signal)
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 5_000).unref())
    if ((await Promise.race([exitedP, timer])) === 'late') {
      killGroup(child.pid, 'SIGKILL')
      await exitedP
    }
  }
  return { ns, child, output: () => out, exited: () => gone, write, stop }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone; nothing left to stop.
  }
}

/** True when this process may create network namespaces (root, `ip` present, netns usable). */
export function netnsAvailable(): { ok: true } | { ok: false; why: string } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, why: 'not root' }
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/iptables', '/usr/sbin/conntrack', '/usr/bin/turnserver']) {
    if (!existsSync(bin))
      return { ok: false, why: `${bin} missing (run \`npm test\`: its pretest installs it)` }
  }
  const probe = `${NS_PREFIX}${process.pid}-probe`
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' })
    return { ok: true }
  } catch (err) {
    return { ok: false, why: `ip netns does not work here: ${(err as Error).message.split('\n')[0]}` }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes `es-<pid>-*` namespaces whose creating process is gone (a crashed earlier run), after
 * stopping the processes still inside them (that run's edge, STUN server or daemons), by PID.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const removed: string[] = []
  const list = await exec('', ['ip', 'netns', 'list'])
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const m = /^es-(\d+)-[a-z0-9]+$/.exec(name)
    if (m === null || pidAlive(Number(m[1]))) continue
    const pids = (await exec('', ['ip', 'netns', 'pids', name]).catch(() => ''))
      .split('\n')
      .filter((p) => /^\d+$/.test(p))
    for (const pid of pids) killGroup(Number(pid), 'SIGKILL')
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // Already exited with its group.
      }
    }
    await exec('', ['ip', 'netns', 'del', name]).catch(() => '')
    removed.push(name)
  }
  return removed
}

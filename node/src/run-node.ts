/**
 * The `edgeswarm node` action: resolves the flags, installs the public-CIDR hook before libp2p loads,
 * opens the event log, starts the daemon, and resolves once a signal has stopped it (the exit code in
 * `process.exitCode`: 0 after a clean stop, 1 if stopping took over 10 s, 130 on a second signal).
 */
import { join } from 'node:path'
import { toError } from '#shared/errors.ts'
import { intFlag } from './commands/flags.ts'
import { type NodeFlags, nodeInit } from './commands/node.ts'
import { installPublicCidrHook } from './nat/public-cidr.ts'
import { resolveNodeOptions } from './options.ts'

/** How long a stopping daemon may take before the process gives up on it (ms). */
const STOP_GRACE_MS = 10_000

export async function runNode(flags: NodeFlags): Promise<void> {
  // the CLI's modules are loaded and its flags parsed (node.started reports this mark)
  const cliMs = performance.now()
  const options = resolveNodeOptions(nodeInit(flags, intFlag('control-port', flags.controlPort, 0, 65535)))
  // must precede the first import of libp2p (see nat/public-cidr.ts)
  installPublicCidrHook()
  const { createEventLog } = await import('./events.ts')
  const { ensureDataDir } = await import('./identity.ts')
  await ensureDataDir(options.dataDir)
  const events = createEventLog({ level: options.logLevel, file: join(options.dataDir, 'events.jsonl') })
  // a stray rejection inside a library (WebRTC, a peer's stream) must not take the node down
  const report = (kind: string) => (err: unknown) =>
    events('node.error', { kind, error: toError(err).message.split('\n')[0] }, 'error')
  process.on('unhandledRejection', report('unhandledRejection'))
  process.on('uncaughtException', report('uncaughtException'))
  // identity, single-instance check and the mailbox fetch before libp2p's modules load (seconds)
  const { startLocal } = await import('./local-start.ts')
  const local = await startLocal(options, events)
  const { startDaemon } = await import('./daemon.ts')
  const daemon = await startDaemon(options, events, local, { cli: cliMs })
  process.stdout.write(
    `edgeswarm: node ${daemon.node.peerId} running (events on stderr and in ${join(options.dataDir, 'events.jsonl')})\n` +
      `edgeswarm: try: edgeswarm status --data-dir ${options.dataDir}\n`,
  )
  await new Promise<void>((resolve) => {
    let signals = 0
    const stop = (code: number) => {
      process.exitCode = code
      resolve()
    }
    const shutdown = (signal: string) => {
      if (++signals > 1) return stop(130)
      events('node.stopping', { signal })
      setTimeout(() => stop(1), STOP_GRACE_MS).unref()
      void daemon.stop().then(() => stop(0))
    }
    process.on('SIGINT', () => shutdown('SIGINT'))
    process.on('SIGTERM', () => shutdown('SIGTERM'))
  })
}

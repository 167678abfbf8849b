/**
 * `edgeswarm` command line: the only file that reads process.argv or calls process.exit. The commands
 * and their help come from one commander program (commands/index.ts).
 *
 * ```sh
 * edgeswarm node --bootstrap http://127.0.0.1:8787 --data-dir ./a   # run a home node (foreground)
 * edgeswarm status --data-dir ./a --json                             # ask the running daemon
 * edgeswarm send <peerId> --bytes 8MiB --data-dir ./a --json
 * ```
 * Errors print one line (`edgeswarm: <name>: <message>`) and exit 1 (2 for usage errors); `--debug`
 * adds the stack.
 */
import { toError } from '#shared/errors.ts'
import { serviceProgram } from './commands/index.ts'
import { HELP_CODES } from './commands/program.ts'

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  const program = serviceProgram()
  try {
    if (argv.length === 0) {
      process.stdout.write(program.helpInformation())
      return 2
    }
    await program.parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (raw) {
    const err = toError(raw)
    if (HELP_CODES.has((err as { code?: string }).code ?? '')) return 0
    process.stderr.write(`edgeswarm: ${err.name}: ${err.message.split('\n')[0]}\n`)
    if (err.name === 'UsageError') process.stderr.write('run `edgeswarm --help` for usage\n')
    if (debug && err.stack !== undefined) process.stderr.write(`${err.stack}\n`)
    return err.name === 'UsageError' ? 2 : 1
  }
}

process.exit(await main(process.argv.slice(2)))

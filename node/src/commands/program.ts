/**
 * The one commander program behind `edgeswarm`: every command (the daemon, its client commands, the
 * services' commands) is declared once here or in a module beside it, and the help text is generated
 * from those declarations. Parse errors become `UsageError`s (cli.ts prints them, exit 2).
 */
import { Command, type CommanderError, Option } from 'commander'
import { defaultDataDir } from '../options.ts'

/** Options every client command takes. */
export interface ClientFlags {
  dataDir?: string
  json?: boolean
  debug?: boolean
}

/** Adds `--data-dir`, `--json` and `--debug` to a client command. */
export function clientCommand(program: Command, spec: string, summary: string): Command {
  return program
    .command(spec)
    .description(summary)
    .option('--data-dir <dir>', 'node data directory (default: $EDGESWARM_DATA_DIR or ~/.edgeswarm)')
    .option('--json', 'print JSON instead of text')
    .option('--debug', 'print stacks on errors')
}

export function dataDirOf(flags: ClientFlags): string {
  return flags.dataDir ?? defaultDataDir()
}

/** Raised for a commander parse error, so cli.ts can print it as a usage error (exit 2). */
export class CommandUsageError extends Error {
  override readonly name = 'UsageError'
}

/** commander's wording → ours (`Unknown option '--x'`, `unknown command "x"`): one line, no prefix. */
function usageMessage(err: CommanderError): string {
  const text = err.message.replace(/^error: /, '').split('\n')[0] ?? ''
  if (err.code === 'commander.unknownCommand') {
    const name = /'([^']*)'/.exec(text)?.[1] ?? ''
    return `unknown command ${JSON.stringify(name)}`
  }
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** commander's codes for "help (or the version) was printed": not an error. */
export const HELP_CODES = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version'])

/** Makes `cmd` (and every subcommand added later) throw instead of printing and exiting. */
export function quiet(cmd: Command): Command {
  return cmd
    .exitOverride((err: CommanderError) => {
      throw HELP_CODES.has(err.code) ? err : new CommandUsageError(usageMessage(err))
    })
    .configureOutput({ writeErr: () => {} })
    .showSuggestionAfterError(false)
}

/** Usage errors for the positional peer ID, in the CLI's own words. */
export function onePeer(args: readonly string[]): string {
  if (args.length !== 1) {
    throw new CommandUsageError(`expected exactly 1 argument (a peer ID), got ${args.length}`)
  }
  return args[0]!
}

/** A repeatable option (`--listen a --listen b`). */
export function repeatable(flags: string, description: string): Option {
  return new Option(flags, description).argParser((v: string, prev: string[] | undefined) => [
    ...(prev ?? []),
    v,
  ])
}

/** The bare program, before any command is added. */
export function baseProgram(): Command {
  return quiet(new Command('edgeswarm'))
    .description('a peer-to-peer overlay whose super-peers run on the edge')
    .addHelpText(
      'after',
      '\nenvironment: EDGESWARM_DATA_DIR (default data dir ~/.edgeswarm), EDGESWARM_NETWORK_KEY',
    )
    .helpCommand(true)
}

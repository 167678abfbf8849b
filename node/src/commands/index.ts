/**
 * CLI commands of the overlay services, built with commander (help generated from one spec). Each
 * service has one module beside this file (`<service>.ts`) exporting `register(program)`; its commands
 * talk to the running daemon through the control API (`callDaemon`) and never load libp2p themselves.
 */
import { Command, type CommanderError } from 'commander'
import { defaultDataDir } from '../options.ts'
import { registerMessagingCommands } from './messaging.ts'

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

export function serviceProgram(): Command {
  const program = new Command('edgeswarm')
  program.exitOverride((err: CommanderError) => {
    throw err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
      ? err
      : new CommandUsageError(err.message.replace(/^error: /, ''))
  })
  program.configureOutput({ writeErr: () => {} })
  // one line per service: register<Service>Commands(program)
  registerMessagingCommands(program)
  return program
}

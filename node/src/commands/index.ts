/**
 * The `edgeswarm` command tree, built with commander (help generated from one spec): the daemon
 * (`node`, node.ts), its client commands (peer.ts), then the overlay services' commands. Each service
 * has one module beside this file (`<service>.ts`) exporting `register(program)`; its commands talk to
 * the running daemon through the control API (`callDaemon`) and never load libp2p themselves.
 */
import type { Command } from 'commander'
import { registerComputeCommands } from './compute.ts'
import { registerFilesCommands } from './files.ts'
import { registerMessagingCommands } from './messaging.ts'
import { registerNodeCommand } from './node.ts'
import { registerPeerCommands } from './peer.ts'
import { baseProgram } from './program.ts'
import { registerRoutingCommands } from './routing.ts'

export { type ClientFlags, CommandUsageError, clientCommand, dataDirOf } from './program.ts'

export function serviceProgram(): Command {
  const program = baseProgram()
  registerNodeCommand(program)
  registerPeerCommands(program)
  // one line per service: register<Service>Commands(program)
  registerRoutingCommands(program)
  registerFilesCommands(program)
  registerComputeCommands(program)
  registerMessagingCommands(program)
  return program
}

/**
 * The edge (`wrangler dev` on workerd) on the lab's services host. It listens on all of the host's
 * addresses: peers use the lab address (`url`, also the edge's PUBLIC_URL, so bootstrap documents and
 * shard multiaddrs name it), the test runner in the root namespace uses the management address
 * (`adminUrl`), so the root namespace needs no route into the lab and labs can run side by side.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../helpers/wait.ts'
import type { NsProcess } from './netns.ts'

export interface LabEdge {
  /** What peers in the lab dial: `http://198.51.100.2:8787`. */
  url: string
  /** What the test runner (root namespace) fetches: the same server over the management link. */
  adminUrl: string
  port: number
  proc: NsProcess
  output: () => string
  stop: () => Promise<void>
}

const ROOT = join(import.meta.dirname, '..', '..')

export interface LabEdgeInit {
  spawn: (ns: string, cmd: string[], env?: NodeJS.ProcessEnv) => NsProcess
  ns: string
  node: string
  publicIp: string
  mgmtIp: string
  port: number
  vars: Record<string, string>
}

export async function startLabEdge(init: LabEdgeInit): Promise<LabEdge> {
  const url = `http://${init.publicIp}:${init.port}`
  const adminUrl = `http://${init.mgmtIp}:${init.port}`
  const persist = mkdtempSync(join(tmpdir(), 'edgeswarm-natlab-edge-'))
  const args = [
    init.node,
    join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'),
    'dev',
    '--ip',
    '0.0.0.0',
    '--port',
    String(init.port),
    // The inspector binds 127.0.0.1 inside the services namespace: no clash with other labs.
    '--inspector-port',
    '9229',
    '--persist-to',
    persist,
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ]
  for (const [k, v] of Object.entries({ ...init.vars, PUBLIC_URL: url })) args.push('--var', `${k}:${v}`)
  const proc = init.spawn(init.ns, args, {
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_LOG_SANITIZE: 'true',
    CI: 'true',
    NO_COLOR: '1',
  })
  const stop = async () => {
    await proc.stop()
    rmSync(persist, { recursive: true, force: true })
  }
  try {
    await waitFor(
      `wrangler dev in the lab to answer ${adminUrl}/healthz`,
      async () => {
        if (proc.exited()) throw new Error(`wrangler exited early:\n${proc.output().slice(-2000)}`)
        const res = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(2_000) })
        return res.ok
      },
      90_000,
      200,
    )
  } catch (err) {
    await stop()
    throw err
  }
  return { url, adminUrl, port: init.port, proc, output: proc.output, stop }
}

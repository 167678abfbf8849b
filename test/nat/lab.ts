/**
 * The NAT lab: network namespaces, veth pairs, a bridge and iptables routers, built in well under a
 * second and torn down by `destroy()` (call it from afterAll and from a process exit trap).
 *
 * ```
 *   root ns (test runner) ── mgmt veth, a link-local /30 only ─────────┐
 *                                                                      ▼
 *            ┌─────────────── es-<pid>-sw: bridge br0 (198.51.100.0/25) ───────────────┐
 *            │                               │                                          │
 *   es-<pid>-pub  198.51.100.2/.3/.4   es-<pid>-ra  wan .21                   es-<pid>-rb  wan .22
 *   edge (wrangler dev), STUN (coturn)  router A (public|eim|symmetric)       router B
 *                                           │ lan                                 │ lan
 *                                      es-<pid>-ha  10.0.1.2                 es-<pid>-hb  10.0.2.2
 *                                      (public mode: 198.51.100.130)         (198.51.100.146)
 * ```
 * Nothing routes out of the host: the root namespace reaches only the services host, which does
 * not forward, and no namespace has a route to anything outside the lab.
 *
 * @example
 * ```ts
 * const lab = await createLab()
 * const a = await lab.addHome('a', 'eim')
 * console.log(await lab.exec(a.host, ['ip', 'addr']))
 * await lab.destroy()
 * ```
 */

import { execFileSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../helpers/wait.ts'
import { type LabEdge, startLabEdge } from './edge.ts'
import { exec, type NsProcess, removeStaleNamespaces, spawnIn } from './netns.ts'
import { applyRouterRules, type NatMode, type RouterCounters, readCounters } from './router.ts'
import { createShardFirewall } from './shard-firewall.ts'

/** The lab's "public" internet: a documentation range libp2p would call private unless told. */
export const PUBLIC_CIDR = '198.51.100.0/24'
/** Addresses of the services host (edge relays, STUN); routers count traffic to it separately. */
export const SERVICES_CIDR = '198.51.100.0/28'
/** The services host: the first edge and the primary STUN address. */
export const PUBLIC_IP = '198.51.100.2'
/** A second address on the services host: second STUN destination, second edge. */
export const PUBLIC_IP_2 = '198.51.100.3'
export const STUN_PORT = 3478
/** Port of the lab edge. */
export const EDGE_PORT = 8787
/** Relay shards of the lab edge (each its own Durable Object and peer ID). */
export const EDGE_SHARDS = 2

const ROOT = join(import.meta.dirname, '..', '..')

export type HomeId = 'a' | 'b'

export interface Home {
  id: HomeId
  mode: NatMode
  /** Router namespace. */
  router: string
  /** Home host namespace (where the daemon runs). */
  host: string
  /** The home host's own address (private behind NAT, public in `public` mode). */
  ip: string
  /** The router's WAN address (what a peer sees behind NAT). */
  wanIp: string
  /** The home LAN, e.g. `10.0.1.0/24`. */
  lanCidr: string
  counters: () => Promise<RouterCounters>
  /** Forgets every NAT mapping on the router (conntrack -F), as a router reboot would. */
  flushConntrack: () => Promise<void>
  /** Token-bucket limit on both router links (upload and download), or none with `undefined`. */
  setRate: (mbit: number | undefined) => Promise<void>
}

export interface Lab {
  /** `es-<pid>-`: every namespace of this lab starts with it. */
  prefix: string
  switchNs: string
  /** The services host namespace (edge, STUN). */
  pubNs: string
  /** `stun:198.51.100.2:3478`. */
  stunUrl: string
  homes: Map<HomeId, Home>
  addHome: (id: HomeId, mode: NatMode, opts?: { rateMbit?: number }) => Promise<Home>
  removeHome: (id: HomeId) => Promise<void>
  /** Runs a command inside a lab namespace. */
  exec: (ns: string, cmd: string[]) => Promise<string>
  /** Starts a long-running process inside a lab namespace; the lab stops it on destroy. */
  spawn: (ns: string, cmd: string[], env?: NodeJS.ProcessEnv, opts?: { stdin?: boolean }) => NsProcess
  /**
   * Starts the edge (`wrangler dev`) on the services host (peers use `url`, the runner `adminUrl`),
   * with the lab's STUN server in its bootstrap document and a fixed shard identity secret (a restarted
   * edge keeps its shard peer IDs, as a redeploy does). Marks every shard's WebSocket connections
   * (see `setShardBlocked`).
   */
  startEdge: (opts?: { port?: number; shards?: number }) => Promise<LabEdge>
  /**
   * Makes relay shard `shard` of the edge on `port` unreachable (true) or reachable again (false):
   * its WebSocket connections are reset and new ones refused, other shards are untouched. Shards share
   * one host:port, so the edge host tells them apart by the upgrade request line (`GET / ` for shard 0,
   * `GET /relay/<n> ` otherwise), marks each connection (CONNMARK) and rejects marked packets.
   */
  setShardBlocked: (shard: number, blocked: boolean, port?: number) => Promise<void>
  destroy: () => Promise<void>
  /** Synchronous teardown for exit and signal handlers (kills by PID, deletes the namespaces). */
  destroySync: () => void
}

/** Node 22 that runs `.ts` files directly, for probes and daemons started inside namespaces. */
export const NODE = existsSync(join(ROOT, 'node_modules', '.bin', 'node'))
  ? join(ROOT, 'node_modules', '.bin', 'node')
  : process.execPath
/** `node test/nat/probe.ts` as an argv prefix. */
export const PROBE = [NODE, join(ROOT, 'test', 'nat', 'probe.ts')]

const HOME_INDEX: Record<HomeId, number> = { a: 0, b: 1 }

/** Builds the switch, the services host (with a STUN server) and a management link for the runner. */
export async function createLab(): Promise<Lab> {
  await removeStaleNamespaces()
  const prefix = `es-${process.pid}-`
  const sw = `${prefix}sw`
  const pub = `${prefix}pub`
  const created: string[] = []
  const procs: NsProcess[] = []
  const homes = new Map<HomeId, Home>()
  const tmp = mkdtempSync(join(tmpdir(), 'edgeswarm-natlab-'))
  const mgmtRoot = `es${process.pid}m`.slice(0, 15)
  const mgmtNet = `169.254.${randomInt(1, 254)}.${4 * randomInt(0, 63)}`
  const mgmtBase = mgmtNet.split('.').map(Number)
  const mgmtIp = (n: number) => `${mgmtBase.slice(0, 3).join('.')}.${mgmtBase[3]! + n}`

  const ip = (args: string[]) => exec('', ['ip', ...args])
  const addNs = async (name: string) => {
    await ip(['netns', 'add', name])
    created.push(name)
    await ip(['-n', name, 'link', 'set', 'lo', 'up'])
  }

  const destroy = async () => {
    for (const p of procs.splice(0).reverse()) await p.stop()
    for (const name of created.splice(0).reverse()) await ip(['netns', 'del', name]).catch(() => '')
    rmSync(tmp, { recursive: true, force: true })
  }
  const destroySync = () => {
    for (const p of procs.splice(0)) {
      if (p.exited() || p.child.pid === undefined) continue
      try {
        process.kill(-p.child.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    for (const name of created.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' })
      } catch {
        // Already deleted.
      }
    }
    rmSync(tmp, { recursive: true, force: true })
  }

  try {
    await addNs(sw)
    await addNs(pub)
    await ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge'])
    await ip(['-n', sw, 'link', 'set', 'br0', 'up'])
    await ip(['link', 'add', 'eth0', 'netns', pub, 'type', 'veth', 'peer', 'name', 'pub', 'netns', sw])
    await ip(['-n', sw, 'link', 'set', 'pub', 'master', 'br0', 'up'])
    for (const addr of [PUBLIC_IP, PUBLIC_IP_2, '198.51.100.4']) {
      await ip(['-n', pub, 'addr', 'add', `${addr}/25`, 'dev', 'eth0'])
    }
    await ip(['-n', pub, 'link', 'set', 'eth0', 'up'])
    await exec(pub, ['sysctl', '-qw', 'net.ipv4.ip_forward=0'])
    // Management link: lets the test runner (root namespace) reach the services host, e.g. the edge's
    // /healthz, on a random link-local /30 (labs can run side by side). The root namespace gets no
    // route beyond that /30 and the services host does not forward: no path into the rest of the lab.
    await ip(['link', 'add', mgmtRoot, 'type', 'veth', 'peer', 'name', 'mgmt', 'netns', pub])
    await ip(['addr', 'add', `${mgmtIp(1)}/30`, 'dev', mgmtRoot])
    await ip(['link', 'set', mgmtRoot, 'up'])
    await ip(['-n', pub, 'addr', 'add', `${mgmtIp(2)}/30`, 'dev', 'mgmt'])
    await ip(['-n', pub, 'link', 'set', 'mgmt', 'up'])

    const stun = spawnIn(pub, [
      'turnserver',
      '--stun-only',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--listening-ip',
      PUBLIC_IP,
      '--listening-ip',
      PUBLIC_IP_2,
      '--listening-port',
      String(STUN_PORT),
      '--log-file',
      'stdout',
      '--simple-log',
      '--no-software-attribute',
      '--userdb',
      join(tmp, 'turndb'),
      '--pidfile',
      join(tmp, 'turn.pid'),
    ])
    procs.push(stun)
    await waitFor(
      'coturn to listen on the services host',
      async () => {
        if (stun.exited()) throw new Error(`turnserver exited:\n${stun.output().slice(-2000)}`)
        const ss = await exec(pub, ['ss', '-Hlun'])
        return ss.includes(`${PUBLIC_IP}:${STUN_PORT}`) && ss.includes(`${PUBLIC_IP_2}:${STUN_PORT}`)
      },
      10_000,
      50,
    )
  } catch (err) {
    await destroy()
    throw err
  }

  const routeToPublicLan = async (ns: string, home: Home) => {
    await ip(['-n', ns, 'route', 'add', home.lanCidr, 'via', home.wanIp])
  }

  const addHome = async (id: HomeId, mode: NatMode, opts: { rateMbit?: number } = {}): Promise<Home> => {
    if (homes.has(id)) throw new Error(`home ${id} already exists; removeHome('${id}') first`)
    const i = HOME_INDEX[id]
    const router = `${prefix}r${id}`
    const host = `${prefix}h${id}`
    const wanIp = `198.51.100.${21 + i}`
    const lanNet = mode === 'public' ? `198.51.100.${128 + 16 * i}` : `10.0.${1 + i}.0`
    const lanBase = lanNet.split('.').map(Number)
    const lanIp = (n: number) => `${lanBase.slice(0, 3).join('.')}.${lanBase[3]! + n}`
    const lanLen = mode === 'public' ? 28 : 24
    await addNs(router)
    await addNs(host)
    await ip(['link', 'add', 'wan', 'netns', router, 'type', 'veth', 'peer', 'name', `${id}wan`, 'netns', sw])
    await ip(['-n', sw, 'link', 'set', `${id}wan`, 'master', 'br0', 'up'])
    await ip(['-n', router, 'addr', 'add', `${wanIp}/25`, 'dev', 'wan'])
    await ip(['-n', router, 'link', 'set', 'wan', 'up'])
    await ip(['link', 'add', 'lan', 'netns', router, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host])
    await ip(['-n', router, 'addr', 'add', `${lanIp(1)}/${lanLen}`, 'dev', 'lan'])
    await ip(['-n', router, 'link', 'set', 'lan', 'up'])
    await ip(['-n', host, 'addr', 'add', `${lanIp(2)}/${lanLen}`, 'dev', 'eth0'])
    await ip(['-n', host, 'link', 'set', 'eth0', 'up'])
    await ip(['-n', host, 'route', 'add', 'default', 'via', lanIp(1)])
    await exec(router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    await applyRouterRules(router, mode, SERVICES_CIDR)

    const setRate = async (mbit: number | undefined) => {
      for (const dev of ['wan', 'lan']) {
        await exec(router, ['tc', 'qdisc', 'del', 'dev', dev, 'root']).catch(() => '')
        if (mbit === undefined) continue
        // burst must hold at least one timer tick of data at this rate; 50 ms of queue ~ a home router.
        const burstKb = Math.max(32, Math.ceil((mbit * 1000) / 8 / 100))
        await exec(router, [
          'tc',
          'qdisc',
          'add',
          'dev',
          dev,
          'root',
          'tbf',
          'rate',
          `${mbit}mbit`,
          'burst',
          `${burstKb}kb`,
          'latency',
          '50ms',
        ])
      }
    }
    const home: Home = {
      id,
      mode,
      router,
      host,
      ip: lanIp(2),
      wanIp,
      lanCidr: `${lanNet}/${lanLen}`,
      counters: () => readCounters(router),
      flushConntrack: async () => {
        await exec(router, ['conntrack', '-F']).catch(() => '')
      },
      setRate,
    }
    if (opts.rateMbit !== undefined) await setRate(opts.rateMbit)
    // Public homes are routed, not translated: everyone on the segment needs a route to their LAN,
    // and a new router needs routes to public homes that already exist.
    if (mode === 'public') {
      await routeToPublicLan(pub, home)
      for (const other of homes.values()) await routeToPublicLan(other.router, home)
    }
    for (const other of homes.values()) if (other.mode === 'public') await routeToPublicLan(router, other)
    homes.set(id, home)
    return home
  }

  const removeHome = async (id: HomeId) => {
    const home = homes.get(id)
    if (home === undefined) return
    homes.delete(id)
    // Namespace deletion frees its veth peers asynchronously: delete the switch port explicitly, or
    // re-adding the same home right away finds the old port name still taken.
    await ip(['-n', sw, 'link', 'del', `${id}wan`]).catch(() => '')
    for (const ns of [home.host, home.router]) {
      for (const p of procs) if (p.ns === ns) await p.stop()
      await ip(['netns', 'del', ns]).catch(() => '')
      created.splice(created.indexOf(ns), 1)
    }
    if (home.mode === 'public') {
      for (const ns of [pub, ...[...homes.values()].map((h) => h.router)]) {
        await ip(['-n', ns, 'route', 'del', home.lanCidr]).catch(() => '')
      }
    }
  }

  const edges: LabEdge[] = []
  const shardFirewall = createShardFirewall(pub)
  const startEdgeHere = async (opts: { port?: number; shards?: number } = {}) => {
    const port = opts.port ?? EDGE_PORT
    const shards = opts.shards ?? EDGE_SHARDS
    await shardFirewall.mark(port, shards)
    const edge = await startLabEdge({
      spawn: (ns, cmd, env) => {
        const p = spawnIn(ns, cmd, env)
        procs.push(p)
        return p
      },
      ns: pub,
      node: NODE,
      publicIp: PUBLIC_IP,
      mgmtIp: mgmtIp(2),
      port,
      vars: {
        STUN_SERVERS: `stun:${PUBLIC_IP}:${STUN_PORT}`,
        RELAY_SHARDS: String(shards),
        RELAY_IDENTITY_SECRET: 'nat-lab-shard-identity-secret-not-for-production',
      },
    })
    edges.push(edge)
    return edge
  }

  return {
    prefix,
    switchNs: sw,
    pubNs: pub,
    stunUrl: `stun:${PUBLIC_IP}:${STUN_PORT}`,
    homes,
    addHome,
    removeHome,
    exec: (ns, cmd) => exec(ns, cmd),
    spawn: (ns, cmd, env, opts) => {
      const p = spawnIn(ns, cmd, env, opts)
      procs.push(p)
      return p
    },
    startEdge: startEdgeHere,
    setShardBlocked: (shard, blocked, port = EDGE_PORT) => shardFirewall.setBlocked(shard, blocked, port),
    destroy: async () => {
      for (const e of edges.splice(0)) await e.stop()
      await destroy()
    },
    destroySync,
  }
}

/**
 * Tears the lab down however the process ends: normal exit, Ctrl-C, SIGTERM from a CI timeout.
 * Returns a function that removes the handlers (call it after a normal `destroy()`).
 */
export function trapTeardown(lab: Lab): () => void {
  const onSignal = (sig: NodeJS.Signals) => {
    lab.destroySync()
    process.kill(process.pid, sig)
  }
  const onExit = () => lab.destroySync()
  process.once('exit', onExit)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return () => {
    process.off('exit', onExit)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

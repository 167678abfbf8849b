/**
 * Home-router firewall and NAT for the lab, as one atomic `iptables-restore` per router, plus the
 * byte counters the tests read to see which way bulk traffic really went.
 *
 * - `public`: routes without translation and accepts unsolicited inbound (a publicly reachable host).
 * - `eim`: MASQUERADE. Linux keeps the source port when it is free, so one inside socket gets one
 *   outside port for every destination: endpoint-independent mapping, hole-punchable.
 * - `symmetric`: MASQUERADE --random-fully: a fresh random outside port per destination, so the port
 *   a STUN server sees is useless to any other peer.
 * Both NAT modes drop unsolicited WAN packets (conntrack ESTABLISHED,RELATED only); without that,
 * an early punch packet would be accepted by the router itself and break the mapping.
 */
import { execFileSync } from 'node:child_process'
import { exec } from './netns.ts'

export type NatMode = 'public' | 'eim' | 'symmetric'
export const NAT_MODES: readonly NatMode[] = ['public', 'eim', 'symmetric']

/** Bytes that crossed a router's WAN side, split by the far end (public services vs anyone else). */
export interface RouterCounters {
  /** LAN to WAN, towards the public services host (edge relays, STUN). */
  upToServices: number
  /** LAN to WAN, towards anyone else (the other home: a direct path). */
  upToOthers: number
  /** WAN to LAN, from the public services host. */
  downFromServices: number
  /** WAN to LAN, from anyone else. */
  downFromOthers: number
  /** Unsolicited WAN packets dropped (forwarded and addressed to the router itself). */
  droppedPackets: number
}

let iptablesFamily: 'iptables' | 'iptables-legacy' | undefined

/** Picks the iptables backend that works here: nf_tables when available, legacy otherwise. */
export function iptablesBinary(ns: string): 'iptables' | 'iptables-legacy' {
  if (iptablesFamily !== undefined) return iptablesFamily
  for (const bin of ['iptables', 'iptables-legacy'] as const) {
    try {
      execFileSync('ip', ['netns', 'exec', ns, bin, '-t', 'nat', '-S'], { stdio: 'pipe' })
      iptablesFamily = bin
      return bin
    } catch {
      // Try the next backend; the error below names both.
    }
  }
  throw new Error('neither iptables (nf_tables) nor iptables-legacy works in a network namespace here')
}

/** The `iptables-restore` document for a router in `mode`; `services` is the public services CIDR. */
export function routerRules(mode: NatMode, services: string): string {
  const masquerade =
    mode === 'eim'
      ? '-A POSTROUTING -o wan -j MASQUERADE'
      : mode === 'symmetric'
        ? '-A POSTROUTING -o wan -j MASQUERADE --random-fully'
        : ''
  const inbound =
    mode === 'public'
      ? '-A FORWARD -i wan -o lan -j ACCEPT'
      : '-A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    masquerade,
    'COMMIT',
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':ACCT - [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -i lan -j ACCEPT',
    '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    '-A INPUT -i wan -m comment --comment drop-unsolicited -j DROP',
    '-A FORWARD -j ACCT',
    // Counting rules without a target: they only count, then ACCT returns to FORWARD.
    `-A ACCT -o wan -d ${services} -m comment --comment up-services`,
    `-A ACCT -o wan ! -d ${services} -m comment --comment up-others`,
    `-A ACCT -i wan -s ${services} -m comment --comment down-services`,
    `-A ACCT -i wan ! -s ${services} -m comment --comment down-others`,
    '-A FORWARD -i lan -o wan -j ACCEPT',
    inbound,
    '-A FORWARD -i wan -m comment --comment drop-unsolicited -j DROP',
    'COMMIT',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n')
}

/** Installs the rules for `mode` in router namespace `ns`, replacing whatever was there. */
export async function applyRouterRules(ns: string, mode: NatMode, services: string): Promise<void> {
  const bin = iptablesBinary(ns)
  await exec(ns, [`${bin}-restore`], { input: routerRules(mode, services) })
}

/** Reads the byte counters of router `ns` (from `iptables-save -c`, which prints exact numbers). */
export async function readCounters(ns: string): Promise<RouterCounters> {
  const bin = iptablesBinary(ns)
  const dump = await exec(ns, [`${bin}-save`, '-c', '-t', 'filter'])
  const c: RouterCounters = {
    upToServices: 0,
    upToOthers: 0,
    downFromServices: 0,
    downFromOthers: 0,
    droppedPackets: 0,
  }
  for (const line of dump.split('\n')) {
    const m = /^\[(\d+):(\d+)\] .*--comment "?([a-z-]+)"?/.exec(line)
    if (m === null) continue
    const packets = Number(m[1])
    const bytes = Number(m[2])
    if (m[3] === 'up-services') c.upToServices += bytes
    else if (m[3] === 'up-others') c.upToOthers += bytes
    else if (m[3] === 'down-services') c.downFromServices += bytes
    else if (m[3] === 'down-others') c.downFromOthers += bytes
    else if (m[3] === 'drop-unsolicited') c.droppedPackets += packets
  }
  return c
}

/** Difference `after - before`, field by field. */
export function diffCounters(before: RouterCounters, after: RouterCounters): RouterCounters {
  return {
    upToServices: after.upToServices - before.upToServices,
    upToOthers: after.upToOthers - before.upToOthers,
    downFromServices: after.downFromServices - before.downFromServices,
    downFromOthers: after.downFromOthers - before.downFromOthers,
    droppedPackets: after.droppedPackets - before.droppedPackets,
  }
}

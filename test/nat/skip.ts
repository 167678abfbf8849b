/**
 * Decides whether the NAT suite can run here, and says so loudly when it cannot: a silently skipped
 * NAT suite would look like a passing one. CI runs as root, so CI runs it.
 */
import { netnsAvailable } from './netns.ts'

let cached: boolean | undefined

/** True when the suite must be skipped (after printing a notice once per file). */
export function skipNotice(): boolean {
  if (cached !== undefined) return cached
  const avail = netnsAvailable()
  cached = !avail.ok
  if (!avail.ok) {
    const bar = '!'.repeat(78)
    console.warn(
      `\n${bar}\n!! NAT LAB SKIPPED: ${avail.why}.\n!! The NAT matrix (direct vs relayed paths) was NOT tested. ` +
        `Run as root with iproute2,\n!! iptables, conntrack and coturn installed (npm test's pretest installs them).\n${bar}\n`,
    )
  }
  return cached
}

/**
 * `--public-cidr`: treat reserved ranges as public internet.
 *
 * `@libp2p/utils` calls every reserved range private (RFC 1918, 100.64/10, the documentation ranges
 * 192.0.2/24, 198.51.100/24, 203.0.113/24, ...), and identify (observed addresses), the address
 * manager and DCUtR (`isPublicAndDialable`) drop "private" addresses. A NAT lab whose public segment
 * uses a documentation range would then never see a public address. All those checks go through one
 * function, `isPrivateIp` in `@libp2p/utils`, which the load hook of
 * shared/src/libp2p-compat/node/private-ip.ts rewrites to ask `globalThis[PUBLIC_CIDR_GLOBAL]` first.
 * The hook must be installed before libp2p is imported: `run-node.ts` installs it, then imports the
 * daemon dynamically.
 *
 * Only for labs and tests: on the real internet, reserved ranges are not routable.
 */
import { installPrivateIpHook } from '#shared/libp2p-compat/node/private-ip.ts'
import { type Cidr, cidrContains } from './cidr.ts'

/** Global the rewritten `isPrivateIp` consults: a function `(ip) => boolean` (true = treat as public). */
export const PUBLIC_CIDR_GLOBAL = '__edgeswarmIsPublicIp'

/** Installs the load hook (idempotent). Safe to call when no range is configured. */
export function installPublicCidrHook(): void {
  installPrivateIpHook(PUBLIC_CIDR_GLOBAL)
}

/** Sets the ranges treated as public (replaces earlier ones). */
export function setPublicCidrs(cidrs: readonly Cidr[]): void {
  ;(globalThis as Record<string, unknown>)[PUBLIC_CIDR_GLOBAL] =
    cidrs.length === 0 ? undefined : (ip: string) => cidrs.some((c) => cidrContains(c, ip))
}

/** True when `ip` is in one of the configured public ranges. */
export function isConfiguredPublic(ip: string): boolean {
  const fn = (globalThis as Record<string, unknown>)[PUBLIC_CIDR_GLOBAL] as
    | ((ip: string) => boolean)
    | undefined
  return fn?.(ip) === true
}

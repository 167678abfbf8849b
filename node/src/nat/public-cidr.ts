/**
 * `--public-cidr`: treat reserved ranges as public internet.
 *
 * `@libp2p/utils` calls every reserved range private (RFC 1918, 100.64/10, the documentation ranges
 * 192.0.2/24, 198.51.100/24, 203.0.113/24, ...), and identify (observed addresses), the address
 * manager and DCUtR (`isPublicAndDialable`) drop "private" addresses. A NAT lab whose public segment
 * uses a documentation range would then never see a public address. All those checks go through one
 * function, `isPrivateIp` in `@libp2p/utils/dist/src/private-ip.js`, which an ES module namespace
 * cannot patch; so a synchronous module load hook (`module.registerHooks`, Node >= 22.15) rewrites
 * that one file as it loads, to ask `globalThis[PUBLIC_CIDR_GLOBAL]` first. The hook must be installed
 * before libp2p is imported: `cli.ts` installs it, then imports the daemon dynamically.
 *
 * Only for labs and tests: on the real internet, reserved ranges are not routable.
 */
import { registerHooks } from 'node:module'
import { type Cidr, cidrContains } from './cidr.ts'

/** Global the rewritten `isPrivateIp` consults: a function `(ip) => boolean` (true = treat as public). */
export const PUBLIC_CIDR_GLOBAL = '__edgeswarmIsPublicIp'

const TARGET = /@libp2p\/utils\/dist\/src\/private-ip\.js$/

let installed = false

/** Installs the load hook (idempotent). Safe to call when no range is configured. */
export function installPublicCidrHook(): void {
  if (installed) return
  installed = true
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context)
      if (!TARGET.test(url) || result.source === undefined) return result
      const source = String(result.source).replace(
        'export function isPrivateIp(ip) {',
        `export function isPrivateIp(ip) {\n    if (globalThis.${PUBLIC_CIDR_GLOBAL}?.(ip) === true) return false;`,
      )
      return { ...result, source }
    },
  })
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

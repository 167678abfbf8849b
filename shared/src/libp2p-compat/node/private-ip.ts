/**
 * Node only (module load hooks): the one reach into `@libp2p/utils` source. `@libp2p/utils` calls
 * every reserved range private (docs/NOTES.md, "NAT, DCUtR and WebRTC"), and identify, the address
 * manager and DCUtR all ask one function, `isPrivateIp` in `@libp2p/utils/dist/src/private-ip.js`,
 * which an ES module namespace cannot patch. A synchronous load hook (`module.registerHooks`,
 * Node >= 22.15) rewrites that file as it loads so that it asks `globalThis[global]` first. It must be
 * installed before libp2p is imported. Contract test: private-ip.test.ts (the line we rewrite is
 * there, and the rewritten module answers as told). This folder is left out of the workers type
 * check (its tsconfig `exclude`); the page never imports it.
 */
import { registerHooks } from 'node:module'

/** The exact line of @libp2p/utils 7.x we extend. */
export const PRIVATE_IP_SIGNATURE = 'export function isPrivateIp(ip) {'

/** The file rewritten: by this hook when run from sources, by scripts/build-node.ts in the bundle. */
export const PRIVATE_IP_TARGET = /@libp2p\/utils\/dist\/src\/private-ip\.js$/

/** The source with the global consulted first (true from the global = treat as public). */
export function rewritePrivateIpSource(source: string, global: string): string {
  if (!source.includes(PRIVATE_IP_SIGNATURE)) {
    throw new Error(`libp2p-compat: @libp2p/utils private-ip.js no longer has "${PRIVATE_IP_SIGNATURE}"`)
  }
  return source.replace(
    PRIVATE_IP_SIGNATURE,
    `${PRIVATE_IP_SIGNATURE}\n    if (globalThis.${global}?.(ip) === true) return false;`,
  )
}

let installed = false

/** Installs the load hook (idempotent). */
export function installPrivateIpHook(global: string): void {
  if (installed) return
  installed = true
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context)
      if (!PRIVATE_IP_TARGET.test(url) || result.source === undefined) return result
      return { ...result, source: rewritePrivateIpSource(String(result.source), global) }
    },
  })
}

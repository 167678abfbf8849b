/**
 * Debian's Chromium flags, shared by the page harness (pages.ts) and vitest's `unit-chromium` project:
 * headless as root, nothing phoning home (the machine has no outside network).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Chromium hides host ICE candidates behind mDNS names unless the page has media permission; on a
  // machine without an mDNS responder two tabs (or a tab and a Node peer) could then never pair.
  // Real deployments get server-reflexive candidates from the bootstrap's STUN servers instead.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]

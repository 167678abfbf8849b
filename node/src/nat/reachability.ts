/**
 * Our own reachability: `public`, `nat` (behind NAT) or `unknown`, with the reason.
 *
 * Evidence, strongest first:
 * 1. A direct inbound TCP/WS connection that carried traffic from a public address: someone dialled us.
 * 2. The address relays observe for us (identify's `observedAddr`): if it is none of our interface
 *    addresses, a NAT rewrote it (`nat`); if it is one of ours and public (or in `--public-cidr`),
 *    nothing stands between us and the relay (`public`); a local private address says nothing.
 * AutoNAT v1 is not used: it needs several confirming peers in different networks, and with one relay
 * it never decides (docs/NOTES.md, "NAT, DCUtR and WebRTC").
 */
import { networkInterfaces } from 'node:os'
import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { EventSink } from '../events.ts'

export type Reachability = 'public' | 'nat' | 'unknown'

export interface ReachabilityView {
  reachability: Reachability
  reason: string
  observed: string[]
  /** The address that proved us public. */
  host?: string
}

function hostOf(addr: Multiaddr): string | undefined {
  const c = addr.getComponents().find((x) => x.name === 'ip4' || x.name === 'ip6')
  return c?.value
}

export function localAddresses(): Set<string> {
  const out = new Set<string>()
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) out.add(i.address)
  }
  return out
}

export class ReachabilityTracker {
  readonly #events: EventSink
  readonly #observed = new Map<string, Multiaddr>()
  #dialledBack?: string
  #last?: ReachabilityView

  readonly #onPublic?: (host: string) => void

  /** `onPublic` runs on every evaluation that finds us public, with the public host address. */
  constructor(events: EventSink, onPublic?: (host: string) => void) {
    this.#events = events
    if (onPublic !== undefined) this.#onPublic = onPublic
  }

  /** A relay (or peer) told us the address it sees for us. */
  observed(from: string, addr: Multiaddr): void {
    this.#observed.set(from, addr)
    this.#update()
  }

  /** A direct inbound connection from `remote` carried traffic. */
  inboundDirect(remote: Multiaddr): void {
    const host = hostOf(remote)
    if (host === undefined || isPrivate(remote)) return
    this.#dialledBack = host
    this.#update()
  }

  get(): ReachabilityView {
    return this.#last ?? this.#evaluate()
  }

  #evaluate(): ReachabilityView {
    const observed = [...this.#observed.values()]
    const shown = [...new Set(observed.map((a) => a.toString()))]
    if (this.#dialledBack !== undefined) {
      return {
        reachability: 'public',
        reason: `a peer at ${this.#dialledBack} dialled us directly`,
        observed: shown,
        host: this.#dialledBack,
      }
    }
    if (observed.length === 0) {
      return {
        reachability: 'unknown',
        reason: 'no relay has told us our observed address yet',
        observed: shown,
      }
    }
    const local = localAddresses()
    const foreign = observed.map(hostOf).find((h) => h !== undefined && !local.has(h))
    if (foreign !== undefined) {
      return {
        reachability: 'nat',
        reason: `relays see us at ${foreign}, which is not an address of this host`,
        observed: shown,
      }
    }
    const pub = observed.find((a) => !isPrivate(a))
    if (pub !== undefined) {
      return {
        reachability: 'public',
        reason: `relays see our own public address ${hostOf(pub)}`,
        observed: shown,
        host: hostOf(pub)!,
      }
    }
    return {
      reachability: 'unknown',
      reason: `relays see our own private address ${hostOf(observed[0]!)} (add --public-cidr to treat it as public)`,
      observed: shown,
    }
  }

  #update(): void {
    const next = this.#evaluate()
    if (next.reachability !== this.#last?.reachability) {
      this.#events('reachability', { reachability: next.reachability, reason: next.reason })
    }
    this.#last = next
    if (next.host !== undefined) this.#onPublic?.(next.host)
  }
}

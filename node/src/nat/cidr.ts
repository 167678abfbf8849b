/**
 * IPv4 CIDR ranges (`198.51.100.0/24`): parsing with a message that names the flag, and membership.
 */
import { InvalidInputError } from '#shared/errors.ts'

export interface Cidr {
  /** The range as given, normalised (`198.51.100.0/24`). */
  text: string
  network: number
  prefix: number
}

const IPV4 = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/

export function ipv4ToInt(ip: string): number | undefined {
  const m = IPV4.exec(ip)
  if (m === null) return undefined
  const parts = m.slice(1).map(Number)
  if (parts.some((p) => p > 255)) return undefined
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** Parses `a.b.c.d/n`; throws InvalidInputError naming `flag`. */
export function parseCidr(raw: string, flag = '--public-cidr'): Cidr {
  const [ip, bits, extra] = raw.split('/')
  const addr = ip === undefined ? undefined : ipv4ToInt(ip)
  const prefix = bits !== undefined && /^[0-9]{1,2}$/.test(bits) ? Number(bits) : -1
  if (addr === undefined || extra !== undefined || prefix < 0 || prefix > 32) {
    throw new InvalidInputError(
      `${flag} must be an IPv4 CIDR range such as 198.51.100.0/24, got ${JSON.stringify(raw)}`,
    )
  }
  const network = (addr & mask(prefix)) >>> 0
  const text = `${[24, 16, 8, 0].map((s) => (network >>> s) & 255).join('.')}/${prefix}`
  return { text, network, prefix }
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const addr = ipv4ToInt(ip.startsWith('::ffff:') ? ip.slice(7) : ip)
  return addr !== undefined && (addr & mask(cidr.prefix)) >>> 0 === cidr.network
}

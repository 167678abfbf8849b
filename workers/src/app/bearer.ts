/**
 * Private-mode bearer check for `/v1/bootstrap` and `/metrics`: `Authorization: Bearer <NETWORK_KEY>`.
 * Both sides are hashed with SHA-256 first, so the comparison always walks 32 bytes whatever the
 * lengths, and the XOR loop has no early exit: the time does not depend on where the token differs.
 */

const encoder = new TextEncoder()

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}

/** Constant-time equality of two byte arrays of equal length (false for unequal lengths). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header ?? '')
  return match?.[1]
}

/** True when `header` carries `key` as a bearer token. */
export async function bearerMatches(header: string | null | undefined, key: string): Promise<boolean> {
  const token = bearerToken(header)
  const [given, expected] = await Promise.all([sha256(token ?? ''), sha256(key)])
  return token !== undefined && timingSafeEqual(given, expected)
}

/**
 * A libp2p service that signs routing records with the node's own key (libp2p hands every service its
 * `privateKey` component; the key itself never leaves this object). Mounted as `routingSigner`.
 */
import type { PrivateKey } from '@libp2p/interface'
import { type SignedRecord, signRecord } from './record.ts'

export interface RecordSigner {
  sign: (init: { cids: readonly string[]; addrs: readonly string[]; ttl: number }) => Promise<SignedRecord>
}

export function recordSigner() {
  return (components: { privateKey: PrivateKey }): RecordSigner => ({
    sign: (init) => signRecord(components.privateKey, init),
  })
}

/**
 * ProviderIndex: one shard of the edge's super-peer index, a Durable Object holding provider and peer
 * records in its SQLite storage (never in memory), called by the Worker over DO RPC. Keys are spread
 * over shards by hash (../routing/index-shards.ts): a lookup touches one shard.
 *
 * - Expiry: every row carries `expires` (ms); reads skip expired rows, and one DO alarm, set to the
 *   earliest expiry, deletes them in batches: no timer per record, the store never keeps dead rows long.
 * - Bounds: at most `maxRecordsPerPeer` provider rows per peer and `maxRecords` rows in the shard; a
 *   write past either is refused row by row and counted (`throttled_peer`, `shard_full`), for /metrics.
 *
 * @example
 * ```ts
 * const stub = env.PROVIDER_INDEX.get(env.PROVIDER_INDEX.idFromName('index-0'))
 * await stub.announce({ peer, entries: [{ key, cid }], addrs, expires: Date.now() + 7_200_000 })
 * const rows = await stub.providers(key, 20)
 * ```
 */
import { DurableObject } from 'cloudflare:workers'
import { parseIntegerSetting } from '#shared/config.ts'
import {
  DEFAULT_ROUTING_MAX_RECORDS_PER_PEER,
  DEFAULT_ROUTING_MAX_RECORDS_PER_SHARD,
} from '#shared/defaults.ts'
import type { Env } from '../env.ts'

/** Rows deleted per alarm run: bounded, so one alarm never holds the DO for long; the rest go next run. */
const EXPIRE_BATCH = 5_000

export interface IndexEntry {
  /** Multihash key (base58btc). */
  key: string
  /** The CID as announced (CIDv1 text). */
  cid: string
}

export interface AnnounceInput {
  peer: string
  entries: IndexEntry[]
  /** Addresses the edge vouches for. */
  addrs: string[]
  /** Expiry (ms since the epoch). */
  expires: number
  /** Also store the peer record (this shard owns the peer ID's hash). */
  peerRecord?: boolean
}

export interface AnnounceResult {
  stored: number
  throttled: number
}

export interface IndexedPeer {
  peer: string
  addrs: string[]
}

export interface IndexStats {
  providers: number
  peers: number
  counters: Record<string, number>
}

export class ProviderIndex extends DurableObject<Env> {
  readonly maxRecords: number
  readonly maxRecordsPerPeer: number

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.maxRecords =
      parseIntegerSetting('ROUTING_MAX_RECORDS_PER_SHARD', env.ROUTING_MAX_RECORDS_PER_SHARD) ??
      DEFAULT_ROUTING_MAX_RECORDS_PER_SHARD
    this.maxRecordsPerPeer =
      parseIntegerSetting('ROUTING_MAX_RECORDS_PER_PEER', env.ROUTING_MAX_RECORDS_PER_PEER) ??
      DEFAULT_ROUTING_MAX_RECORDS_PER_PEER
    const sql = ctx.storage.sql
    sql.exec(`CREATE TABLE IF NOT EXISTS providers (
      key TEXT NOT NULL, peer TEXT NOT NULL, cid TEXT NOT NULL, addrs TEXT NOT NULL, expires INTEGER NOT NULL,
      PRIMARY KEY (key, peer))`)
    sql.exec('CREATE INDEX IF NOT EXISTS providers_peer ON providers (peer)')
    sql.exec('CREATE INDEX IF NOT EXISTS providers_expires ON providers (expires)')
    sql.exec(`CREATE TABLE IF NOT EXISTS peers (
      peer TEXT PRIMARY KEY, addrs TEXT NOT NULL, expires INTEGER NOT NULL)`)
    sql.exec('CREATE INDEX IF NOT EXISTS peers_expires ON peers (expires)')
    sql.exec('CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)')
  }

  #count(name: string, by = 1): void {
    if (by <= 0) return
    this.ctx.storage.sql.exec(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + ?',
      name,
      by,
      by,
    )
  }

  #scalar(query: string, ...args: (string | number)[]): number {
    const row = this.ctx.storage.sql.exec(query, ...args).toArray()[0]
    return Number(row === undefined ? 0 : Object.values(row)[0])
  }

  async #schedule(expires: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > expires) await this.ctx.storage.setAlarm(expires)
  }

  async announce(input: AnnounceInput): Promise<AnnounceResult> {
    const now = Date.now()
    const sql = this.ctx.storage.sql
    const addrs = JSON.stringify(input.addrs)
    let held = this.#scalar('SELECT COUNT(*) FROM providers WHERE peer = ? AND expires > ?', input.peer, now)
    let total = this.#scalar('SELECT COUNT(*) FROM providers') + this.#scalar('SELECT COUNT(*) FROM peers')
    let stored = 0
    let throttledPeer = 0
    let full = 0
    for (const e of input.entries) {
      const exists =
        this.#scalar('SELECT COUNT(*) FROM providers WHERE key = ? AND peer = ?', e.key, input.peer) > 0
      if (!exists && held >= this.maxRecordsPerPeer) {
        throttledPeer++
        continue
      }
      if (!exists && total >= this.maxRecords) {
        full++
        continue
      }
      sql.exec(
        `INSERT INTO providers (key, peer, cid, addrs, expires) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key, peer) DO UPDATE SET cid = excluded.cid, addrs = excluded.addrs, expires = excluded.expires`,
        e.key,
        input.peer,
        e.cid,
        addrs,
        input.expires,
      )
      if (!exists) {
        held++
        total++
      }
      stored++
    }
    if (input.peerRecord === true) {
      const exists = this.#scalar('SELECT COUNT(*) FROM peers WHERE peer = ?', input.peer) > 0
      if (exists || total < this.maxRecords) {
        sql.exec(
          `INSERT INTO peers (peer, addrs, expires) VALUES (?, ?, ?)
           ON CONFLICT (peer) DO UPDATE SET addrs = excluded.addrs, expires = excluded.expires`,
          input.peer,
          addrs,
          input.expires,
        )
      } else {
        full++
      }
    }
    this.#count('announced', stored)
    this.#count('throttled_peer', throttledPeer)
    this.#count('shard_full', full)
    await this.#schedule(input.expires)
    return { stored, throttled: throttledPeer + full }
  }

  async providers(key: string, limit: number): Promise<IndexedPeer[]> {
    const rows = this.ctx.storage.sql
      .exec(
        'SELECT peer, addrs FROM providers WHERE key = ? AND expires > ? ORDER BY expires DESC LIMIT ?',
        key,
        Date.now(),
        limit,
      )
      .toArray()
    return rows.map((r) => ({ peer: String(r.peer), addrs: JSON.parse(String(r.addrs)) as string[] }))
  }

  async peer(peer: string): Promise<IndexedPeer | undefined> {
    const row = this.ctx.storage.sql
      .exec('SELECT peer, addrs FROM peers WHERE peer = ? AND expires > ?', peer, Date.now())
      .toArray()[0]
    return row === undefined
      ? undefined
      : { peer: String(row.peer), addrs: JSON.parse(String(row.addrs)) as string[] }
  }

  /** Counts a refusal decided in the Worker (forged or malformed announcement), for /metrics. */
  async refused(reason: string): Promise<void> {
    this.#count(`refused_${reason}`)
  }

  async stats(): Promise<IndexStats> {
    const counters: Record<string, number> = {}
    for (const r of this.ctx.storage.sql.exec('SELECT name, value FROM counters').toArray()) {
      counters[String(r.name)] = Number(r.value)
    }
    const now = Date.now()
    return {
      providers: this.#scalar('SELECT COUNT(*) FROM providers WHERE expires > ?', now),
      peers: this.#scalar('SELECT COUNT(*) FROM peers WHERE expires > ?', now),
      counters,
    }
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    const sql = this.ctx.storage.sql
    const p = sql
      .exec(
        'DELETE FROM providers WHERE rowid IN (SELECT rowid FROM providers WHERE expires <= ? LIMIT ?) RETURNING 1',
        now,
        EXPIRE_BATCH,
      )
      .toArray().length
    const q = sql
      .exec(
        'DELETE FROM peers WHERE rowid IN (SELECT rowid FROM peers WHERE expires <= ? LIMIT ?) RETURNING 1',
        now,
        EXPIRE_BATCH,
      )
      .toArray().length
    this.#count('expired', p + q)
    const next = this.#scalar(
      'SELECT MIN(e) FROM (SELECT MIN(expires) AS e FROM providers UNION ALL SELECT MIN(expires) FROM peers)',
    )
    if (p + q >= EXPIRE_BATCH) await this.ctx.storage.setAlarm(now + 1_000)
    else if (next > 0) await this.ctx.storage.setAlarm(Math.max(next, now + 1_000))
  }
}

/**
 * Makes one relay shard of the lab edge unreachable while the others keep working. Shards share one
 * host:port (they differ by the WebSocket upgrade's path), so the services host tells their connections
 * apart by the request line (`GET / ` = shard 0, `GET /relay/<n> `), marks each connection with CONNMARK
 * 0x100 + shard on its first request packet, and, while a shard is blocked, resets every packet of its
 * marked connections both ways: open connections break, new ones are refused, other shards are untouched.
 */
import { exec } from './netns.ts'
import { iptablesBinary } from './router.ts'

export interface ShardFirewall {
  /** Installs the marking rules for `shards` shards on `port` (idempotent). */
  mark: (port: number, shards: number) => Promise<void>
  setBlocked: (shard: number, blocked: boolean, port: number) => Promise<void>
}

function requestLine(shard: number): string {
  return shard === 0 ? 'GET / HTTP/1.1' : `GET /relay/${shard} HTTP/1.1`
}

export function createShardFirewall(ns: string): ShardFirewall {
  const marked = new Set<string>()
  const ipt = (args: string[]) => exec(ns, [iptablesBinary(ns), ...args])
  const tcp = (port: number, dir: '--dport' | '--sport') => ['-p', 'tcp', dir, String(port)]
  return {
    async mark(port, shards) {
      for (let n = 0; n < shards; n++) {
        if (marked.has(`${port}/${n}`)) continue
        marked.add(`${port}/${n}`)
        const match = ['-m', 'string', '--algo', 'bm', '--string', requestLine(n)]
        await ipt([
          '-A',
          'INPUT',
          '-i',
          'eth0',
          ...tcp(port, '--dport'),
          ...match,
          '-j',
          'CONNMARK',
          '--set-mark',
          String(0x100 + n),
        ])
      }
    },
    async setBlocked(shard, blocked, port) {
      const reset = [
        '-m',
        'connmark',
        '--mark',
        String(0x100 + shard),
        '-j',
        'REJECT',
        '--reject-with',
        'tcp-reset',
      ]
      const rules = [
        ['INPUT', '-i', 'eth0', ...tcp(port, '--dport'), ...reset],
        ['OUTPUT', '-o', 'eth0', ...tcp(port, '--sport'), ...reset],
      ]
      for (const [chain, ...rule] of rules) {
        if (blocked) await ipt(['-I', chain!, '1', ...rule])
        else await ipt(['-D', chain!, ...rule]).catch(() => '')
      }
    },
  }
}

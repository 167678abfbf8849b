/**
 * `npm run bench`: every benchmark in one run, side by side, results as JSON in bench/results/.
 * Sections whose harness cannot run here (no root for the NAT lab, no Chromium) are reported as
 * skipped with the reason, never silently dropped.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { printRelayBench, runRelayBench } from './relay.ts'

const results: Record<string, unknown> = { startedAt: new Date().toISOString(), machine: machine() }

function machine() {
  return { node: process.version, platform: process.platform, arch: process.arch }
}

async function optional(name: string, file: string, fn: string): Promise<void> {
  const path = join(import.meta.dirname, file)
  if (!existsSync(path)) {
    results[name] = { skipped: `${file} not present` }
    return
  }
  try {
    const mod = (await import(path)) as Record<string, () => Promise<unknown>>
    const run = mod[fn]
    if (run === undefined) throw new Error(`${file} does not export ${fn}`)
    console.log(`\n== ${name} ==`)
    results[name] = await run()
    console.log(JSON.stringify(results[name], null, 2))
  } catch (err) {
    console.error(`bench ${name} failed: ${(err as Error).message}`)
    results[name] = { failed: (err as Error).message }
    process.exitCode = 1
  }
}

console.log('== relay: edge shard vs plain js-libp2p relay vs direct ==')
const relay = await runRelayBench()
results.relay = relay
printRelayBench(relay)
await optional('join', 'join.ts', 'runJoinBench')
await optional('nat', 'nat.ts', 'runNatBench')
await optional('files', 'files.ts', 'runFilesBench')
await optional('browser', 'browser.ts', 'runBrowserBench')
await optional('routing', 'routing.ts', 'runRoutingBench')
await optional('compute', 'compute.ts', 'runComputeBench')
await optional('messaging', 'messaging.ts', 'runMessagingBench')

const dir = join(import.meta.dirname, 'results')
mkdirSync(dir, { recursive: true })
const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nresults written to ${file}`)

/**
 * Builds the browser peer (`browser/src`) into `dist/browser`, which the edge worker serves as static
 * assets at `/` (wrangler.toml `[assets]`). Offline and fast (esbuild, one bundle).
 *
 * @example
 * ```sh
 * node scripts/build-browser.ts            # production bundle (minified, with a source map)
 * node scripts/build-browser.ts --dev      # unminified, for reading stack traces
 * ```
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { browserBuildOptions } from './lib/browser-build.ts'

const ROOT = join(import.meta.dirname, '..')
const SRC = join(ROOT, 'browser', 'src')
const PUBLIC = join(ROOT, 'browser', 'public')
const OUT = join(ROOT, 'dist', 'browser')
const dev = process.argv.includes('--dev')

const started = performance.now()
rmSync(OUT, { recursive: true, force: true })
mkdirSync(OUT, { recursive: true })
for (const name of readdirSync(PUBLIC)) copyFileSync(join(PUBLIC, name), join(OUT, name))

const result = await build({
  ...browserBuildOptions(dev),
  entryPoints: [join(SRC, 'main.ts')],
  outfile: join(OUT, 'app.js'),
  sourcemap: 'linked',
})
if (result.errors.length > 0) process.exit(1)

const kib = (statSync(join(OUT, 'app.js')).size / 1024).toFixed(0)
const ms = (performance.now() - started).toFixed(0)
console.log(`browser: dist/browser/app.js ${kib} KiB in ${ms} ms`)

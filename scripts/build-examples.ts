/**
 * `npm run build:examples`: assembles the example compute jobs (`examples/<name>/<name>.wat`, the
 * WebAssembly text format) into `.wasm` modules beside them with `wabt` (the WebAssembly Binary
 * Toolkit compiled to JavaScript, from npm). Skips a module whose `.wasm` is newer than its source;
 * `npm start` and `npm test` run it first.
 *
 * @example
 * ```sh
 * npm run build:examples
 * edgeswarm compute run examples/mandelbrot/mandelbrot.wasm --range 0..1023 -o rows.txt
 * ```
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import wabt from 'wabt'

const EXAMPLES = join(import.meta.dirname, '..', 'examples')
const force = process.argv.includes('--force')

const toolkit = await wabt()
for (const name of readdirSync(EXAMPLES)) {
  const wat = join(EXAMPLES, name, `${name}.wat`)
  if (!existsSync(wat)) continue
  const out = join(EXAMPLES, name, `${name}.wasm`)
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(wat).mtimeMs) continue
  const parsed = toolkit.parseWat(wat, readFileSync(wat, 'utf8'))
  try {
    parsed.validate()
    const { buffer } = parsed.toBinary({})
    writeFileSync(out, buffer)
    console.log(`examples: ${out.slice(EXAMPLES.length + 1)} ${buffer.byteLength} bytes`)
  } finally {
    parsed.destroy()
  }
}

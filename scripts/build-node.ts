/**
 * Builds the home node's CLI (`node/src/cli.ts`, with the compute sandbox thread
 * `node/src/compute/thread-main.ts`) into `dist/node/*.mjs`, which `bin/edgeswarm.mjs` runs when the
 * bundle is newer than every source file (otherwise it runs the TypeScript sources directly).
 *
 * Why a bundle: run from sources, a daemon loads about 1,400 modules, and Node resolves each one
 * (package.json lookups, stats) and strips the types of ours with a WebAssembly compiler. That costs
 * about 1.7 s of CPU before the node does anything; the bundle loads in about 0.4 s (docs/NOTES.md,
 * "Start-up"). Packages with native code stay external and load from node_modules.
 *
 * The `--public-cidr` rewrite of `@libp2p/utils`'s `isPrivateIp` (a Node load hook when run from
 * sources, shared/src/libp2p-compat/node/private-ip.ts) is applied here at bundle time by the same
 * function, so both ways of running behave alike.
 *
 * @example
 * ```sh
 * node scripts/build-node.ts     # run by `npm run build`, `npm start` and `npm test`
 * ```
 */
import { readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { build, type Plugin } from 'esbuild'
import { PRIVATE_IP_TARGET, rewritePrivateIpSource } from '#shared/libp2p-compat/node/private-ip.ts'
import { PUBLIC_CIDR_GLOBAL } from '../node/src/nat/public-cidr.ts'

const ROOT = join(import.meta.dirname, '..')
const OUT = join(ROOT, 'dist', 'node')

/** Native addons and their optional peers: loaded from node_modules at run time, never bundled. */
const EXTERNAL = ['node-datachannel', 'bufferutil', 'utf-8-validate']

const privateIp: Plugin = {
  name: 'edgeswarm-private-ip',
  setup(b) {
    b.onLoad({ filter: PRIVATE_IP_TARGET }, (args) => ({
      contents: rewritePrivateIpSource(readFileSync(args.path, 'utf8'), PUBLIC_CIDR_GLOBAL),
      loader: 'js',
    }))
  },
}

/**
 * `import … from 'node:http'` in an ES module makes Node build the module's ESM facade, which reads
 * every export, including the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters that load undici:
 * ~20 ms of CPU at every start (seen in a `--cpu-prof` of a join; docs/NOTES.md, "Start-up"), for
 * classes nothing here uses. Such imports get the module through `require` instead, with its plain
 * (non-getter) exports as named exports.
 */
const httpWithoutUndici: Plugin = {
  name: 'edgeswarm-http-without-undici',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.kind === 'require-call' ? undefined : { path: 'node:http', namespace: 'cjs-builtin' },
    )
    b.onLoad({ filter: /.*/, namespace: 'cjs-builtin' }, (args) => {
      const mod = createRequire(import.meta.url)(args.path) as Record<string, unknown>
      const plain = Object.keys(mod).filter((k) => Object.getOwnPropertyDescriptor(mod, k)?.get === undefined)
      return {
        contents: `const m = require(${JSON.stringify(args.path)});\nexport default m;\nexport const { ${plain.join(', ')} } = m;\n`,
        loader: 'js',
      }
    })
  },
}

const started = performance.now()
rmSync(OUT, { recursive: true, force: true })
const result = await build({
  entryPoints: {
    cli: join(ROOT, 'node', 'src', 'cli.ts'),
    'thread-main': join(ROOT, 'node', 'src', 'compute', 'thread-main.ts'),
  },
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: EXTERNAL,
  sourcemap: 'linked',
  legalComments: 'none',
  // drops whitespace and comments: the bundle is read and compiled at every start, and a few
  // dependencies' comments hold non-ASCII characters, which make Node decode the whole file the slow
  // way (4.4 MB took ~84 ms to decode vs ~31 ms once ASCII; docs/NOTES.md, "Start-up"). Identifiers
  // stay as they are; the linked source map still maps positions for debuggers
  minifyWhitespace: true,
  logLevel: 'warning',
  plugins: [privateIp, httpWithoutUndici],
  // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins
  banner: {
    js: "import { createRequire as __esRequire } from 'node:module';const require = __esRequire(import.meta.url);",
  },
})
if (result.errors.length > 0) process.exit(1)

const kib = (statSync(join(OUT, 'cli.mjs')).size / 1024).toFixed(0)
console.log(`node: dist/node/cli.mjs ${kib} KiB in ${(performance.now() - started).toFixed(0)} ms`)

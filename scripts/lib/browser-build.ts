/**
 * esbuild options for code that runs in a tab, shared by the page build (scripts/build-browser.ts)
 * and the messaging benchmark's page script (bench/messaging.ts): libp2p's packages pick their browser
 * builds through the `browser` field, so nothing Node-only leaks in.
 */
import type { BuildOptions } from 'esbuild'

export function browserBuildOptions(dev: boolean): BuildOptions {
  return {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: !dev,
    legalComments: 'none',
    logLevel: 'warning',
    mainFields: ['browser', 'module', 'main'],
    conditions: ['browser'],
    define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  }
}

import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import { CHROMIUM_ARGS } from './test/browser/chromium-args.ts'

// One `vitest run` covers every harness. Unit tests sit beside the code and run in parallel; harness
// tests (real workerd, network namespaces, Chromium) run one file at a time with generous timeouts.
// A harness case that fails is run once more before it counts as failed: these cases start real
// workerd, daemons and Chromium on 2 shared cores, where a handshake or a process start occasionally
// outlasts its timeout. A retry asserts on the same bytes; a case that fails twice fails the run.
const harness = { fileParallelism: false, testTimeout: 120_000, hookTimeout: 180_000, retry: 1 }

export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/src/**/*.test.ts', 'node/src/**/*.test.ts', 'workers/src/**/*.test.ts'],
        },
      },
      {
        // The same runtime-neutral unit tests again, inside Debian's Chromium: the peer core and the
        // services run in the tab too, so their tests must pass where the page runs them. The relay
        // side's libp2p contracts (a relay needs a WebSocket server; node:* hooks; package-internal
        // paths) and tests that need TCP stay in `unit` alone.
        test: {
          name: 'unit-chromium',
          include: ['shared/src/**/*.test.ts'],
          exclude: [
            'shared/src/libp2p-compat/node/**',
            'shared/src/libp2p-compat/{hop-status,relay-server,reservation-log}.test.ts',
            // two kad-dht nodes over TCP: the ADD_PROVIDER wire contract
            'shared/src/services/routing/optimistic.test.ts',
          ],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: CHROMIUM_ARGS,
              },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
      { test: { name: 'worker', include: ['test/worker/**/*.test.ts'], ...harness } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...harness } },
      { test: { name: 'nat', include: ['test/nat/**/*.test.ts'], ...harness, testTimeout: 240_000 } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...harness } },
    ],
  },
})

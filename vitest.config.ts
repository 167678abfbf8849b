import { defineConfig } from 'vitest/config'

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
      { test: { name: 'worker', include: ['test/worker/**/*.test.ts'], ...harness } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...harness } },
      { test: { name: 'nat', include: ['test/nat/**/*.test.ts'], ...harness, testTimeout: 240_000 } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...harness } },
    ],
  },
})

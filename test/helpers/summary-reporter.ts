import type { Reporter, TestModule } from 'vitest/node'

/** Prints one plain `N passed, N failed, N skipped` line at the end, which CI reads in any language. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const mod of modules) {
      for (const t of mod.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
    }
    console.log(`\nedgeswarm: ${passed} passed, ${failed} failed, ${skipped} skipped`)
  }
}

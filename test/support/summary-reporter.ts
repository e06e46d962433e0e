/**
 * Prints the plain last line CI reads, `N passed, N failed`, and writes the same counts to
 * `.test-results/<name>.json` so `.ci/run` can add up several suites.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  readonly #name: string;

  constructor(options: { name?: string } = {}) {
    this.#name = options.name ?? 'tests';
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
      // A file that failed to load has no tests to count; count it as one failure.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    mkdirSync('.test-results', { recursive: true });
    writeFileSync(`.test-results/${this.#name}.json`, JSON.stringify({ passed, failed }));
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}

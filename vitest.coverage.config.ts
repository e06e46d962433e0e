import { defineConfig } from 'vitest/config';

/**
 * `npm run test:coverage`: every suite in one run (the `unit` project is `npm test`'s config, the
 * `ironic` project `npm run test:ironic`'s, run after it) with V8 coverage of `lib/` and `functions/`.
 * Below the thresholds the run fails. Reports go to `coverage/`: `index.html` (per file, per line),
 * `coverage-summary.json` (what `.ci/run` prints) and `lcov.info`. How to read them: docs/testing.md.
 */
export default defineConfig({
  test: {
    projects: [
      { extends: './vitest.config.ts', test: { sequence: { groupOrder: 0 } } },
      { extends: './vitest.ironic.config.ts', test: { sequence: { groupOrder: 1 } } },
    ],
    // Results as `.test-results/unit-coverage.json` and `ironic-coverage.json`.
    reporters: ['default', ['./test/support/summary-reporter.ts', { suffix: '-coverage' }]],
    coverage: {
      enabled: true,
      provider: 'v8',
      include: ['lib/**/*.ts', 'functions/**/*.ts'],
      reporter: ['text', 'json-summary', 'html', 'lcov'],
      reportsDirectory: 'coverage',
      // Figures even when a test failed (CI prints them either way).
      reportOnFailure: true,
      // Measured even when no test loads them, so unreached files count as uncovered.
      thresholds: {
        'lib/**/*.ts': { lines: 90, branches: 80 },
        'functions/**/*.ts': { lines: 90, branches: 80 },
      },
    },
  },
});

import { defineConfig } from 'vitest/config';
import unitConfig from './vitest.config.ts';
import ironicConfig from './vitest.ironic.config.ts';

/**
 * `npm run test:coverage`: every suite in one run, with V8 coverage of `lib/` and `functions/`: the
 * `unit` and `integration` projects of `npm test`'s config, then the `ironic` project of
 * `npm run test:ironic`'s config (its own env and global setups, its files one at a time). Below the
 * thresholds the run fails. Reports go to `coverage/`: `index.html` (per file, per line),
 * `coverage-summary.json` (what `.ci/run` prints) and `lcov.info`. How to read them: docs/testing.md.
 */
const { projects: testProjects = [], reporters: _unitReporters, ...shared } = unitConfig.test ?? {};
const { reporters: _ironicReporters, ...ironic } = ironicConfig.test ?? {};

export default defineConfig({
  // The dashboard's files imported as text, as in the two configs.
  plugins: unitConfig.plugins ?? [],
  test: {
    ...shared,
    projects: [
      ...testProjects.map((project) => {
        const { test = {}, ...rest } = project as { test?: Record<string, unknown> };
        return { ...rest, test: { ...test, sequence: { groupOrder: 0 } } };
      }),
      {
        plugins: ironicConfig.plugins ?? [],
        test: {
          ...ironic,
          name: 'ironic',
          env: { ...shared.env, ...ironic.env },
          sequence: { groupOrder: 1 },
        },
      },
    ],
    // Results as `.test-results/unit-coverage.json`, `integration-coverage.json`, `ironic-coverage.json`.
    reporters: ['default', ['./test/support/summary-reporter.ts', { suffix: '-coverage' }]],
    coverage: {
      enabled: true,
      provider: 'v8',
      include: ['lib/**/*.ts', 'functions/**/*.ts'],
      reporter: ['text', 'json-summary', 'html', 'lcov'],
      reportsDirectory: 'coverage',
      // Figures even when a test failed (CI prints them either way).
      reportOnFailure: true,
      // `include` measures files no test loads too, so unreached files count as uncovered.
      thresholds: {
        'lib/**/*.ts': { lines: 90, branches: 80 },
        'functions/**/*.ts': { lines: 90, branches: 80 },
      },
    },
  },
});

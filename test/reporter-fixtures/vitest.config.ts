/**
 * The summary reporter's fixtures (test/unit/summary-reporter.test.ts runs them in a child vitest;
 * the normal runs never include this folder). `FIXTURE_SCENARIO` picks the run:
 * - `hooks`: one project per fixture file (failing hooks, a file that cannot load, a control);
 * - `global-setup`: a project whose global setup throws, next to a healthy one;
 * - `crash`: a global setup that kills the vitest process.
 */
import { defineConfig } from 'vitest/config';

const here = import.meta.dirname;
const scenario = process.env.FIXTURE_SCENARIO ?? 'hooks';

const project = (name: string, files: string[], globalSetup: string[] = []) => ({
  test: { name, root: here, include: files, globalSetup },
});

const projects =
  scenario === 'hooks'
    ? ['before-all-fails', 'after-all-fails', 'nested-hooks-fail', 'cannot-load', 'passes'].map((name) =>
        project(name, [`${name}.test.ts`]),
      )
    : scenario === 'global-setup'
      ? [
          project('healthy', ['passes.test.ts']),
          project('needs-services', ['passes.test.ts'], ['global-setup-fails.ts']),
        ]
      : [project('crashing', ['passes.test.ts'], ['crash-in-setup.ts'])];

export default defineConfig({
  test: {
    root: here,
    projects,
    reporters: [['../support/summary-reporter.ts', { outputDir: process.env.FIXTURE_OUTPUT_DIR }]],
  },
});

/**
 * Prints the plain last line CI reads, `N passed, N failed`, and writes each suite's counts to
 * `.test-results/<suite>.json` (the suite is the vitest project: `unit`, `ironic`) so `.ci/run` can add
 * up several runs (`test/support/sum-test-results.ts`).
 *
 * What counts as a failure, beyond a failed test:
 * - a failing `beforeAll`/`afterAll` (vitest reports its tests skipped or passed, and the error on the
 *   suite or the file): one failure per failing hook; a failing `beforeEach`/`afterEach` fails its test;
 * - a file that could not be loaded (its error is on the file; it has no tests);
 * - an unhandled error;
 * - a run that failed with none of the above, as when a global setup (DynamoDB Local, Ironic) did not
 *   start: one failure for every suite that ran no file.
 *
 * At start each suite's file says "did not finish" (one failure), so a run that crashes before its end
 * leaves a failure behind rather than nothing or an older run's counts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

/** What `.test-results/<suite>.json` holds. */
export interface SuiteResult {
  readonly passed: number;
  readonly failed: number;
  /** False until the run ended (a crash leaves it false). */
  readonly complete: boolean;
  /** What failed outside a test (hooks, loading, set-up), for people reading the file. */
  readonly problems: readonly string[];
}

export interface SummaryReporterOptions {
  /** Where the files go (default `.test-results`). */
  readonly outputDir?: string;
  /** The suite name for a run whose project has no name (default `tests`). */
  readonly name?: string;
  /** Added to every suite's file name (`-coverage`: the coverage run's files beside `npm test`'s). */
  readonly suffix?: string;
}

interface Tally {
  passed: number;
  failed: number;
  modules: number;
  problems: string[];
}

const firstLine = (error: SerializedError): string => String(error.message ?? error).split('\n')[0] ?? '';

export default class SummaryReporter implements Reporter {
  readonly #outputDir: string;
  readonly #fallbackName: string;
  readonly #suffix: string;
  #suites: string[] = [];

  constructor(options: SummaryReporterOptions = {}) {
    this.#outputDir = options.outputDir ?? '.test-results';
    this.#fallbackName = options.name ?? 'tests';
    this.#suffix = options.suffix ?? '';
  }

  #suiteName(projectName: string): string {
    return `${projectName === '' ? this.#fallbackName : projectName}${this.#suffix}`;
  }

  #write(suite: string, result: SuiteResult): void {
    mkdirSync(this.#outputDir, { recursive: true });
    writeFileSync(join(this.#outputDir, `${suite}.json`), `${JSON.stringify(result)}\n`);
  }

  onInit(vitest: Vitest): void {
    this.#suites = [...new Set(vitest.projects.map((p) => this.#suiteName(p.name)))];
    for (const suite of this.#suites) {
      this.#write(suite, { passed: 0, failed: 1, complete: false, problems: ['the run did not finish'] });
    }
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const tallies = new Map<string, Tally>();
    const tally = (suite: string): Tally => {
      let t = tallies.get(suite);
      if (t === undefined) {
        t = { passed: 0, failed: 0, modules: 0, problems: [] };
        tallies.set(suite, t);
      }
      return t;
    };
    for (const suite of this.#suites) tally(suite);

    for (const module of testModules) {
      const t = tally(this.#suiteName(module.project.name));
      t.modules++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') t.passed++;
        else if (state === 'failed') t.failed++;
      }
      // Errors on the file: a file-level beforeAll/afterAll, or the file failing to load.
      for (const error of module.errors()) {
        t.failed++;
        t.problems.push(`${module.relativeModuleId}: ${firstLine(error)}`);
      }
      // Errors on a describe block: its beforeAll/afterAll.
      for (const suite of module.children.allSuites()) {
        for (const error of suite.errors()) {
          t.failed++;
          t.problems.push(`${module.relativeModuleId} > ${suite.fullName}: ${firstLine(error)}`);
        }
      }
    }

    const [first] = tallies.values();
    const home = first ?? tally(this.#fallbackName);
    for (const error of unhandledErrors) {
      home.failed++;
      home.problems.push(`unhandled error: ${firstLine(error)}`);
    }

    const failedSoFar = [...tallies.values()].reduce((n, t) => n + t.failed, 0);
    if (reason !== 'passed' && failedSoFar === 0) {
      // The run failed, yet no test, hook or file says why: it never got to run them (a global
      // setup failed, or the run was interrupted). Every suite that ran nothing failed.
      const idle = [...tallies.values()].filter((t) => t.modules === 0);
      for (const t of idle.length > 0 ? idle : [home]) {
        t.failed++;
        t.problems.push(
          `the run ${reason === 'interrupted' ? 'was interrupted' : 'failed'} before this suite's tests could run (a global setup?)`,
        );
      }
    }

    let passed = 0;
    let failed = 0;
    for (const [suite, t] of tallies) {
      this.#write(suite, { passed: t.passed, failed: t.failed, complete: true, problems: t.problems });
      passed += t.passed;
      failed += t.failed;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}

/**
 * The summary line CI reads (`N passed, N failed`) counts what failed outside a test: failing
 * `beforeAll`/`afterAll` hooks, a file that cannot load, a global setup that failed, a run that
 * crashed. The fixtures (test/reporter-fixtures/) run in a child vitest with the project's reporter.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverageFigures, coverageLine } from '#test/support/coverage-figures.ts';
import { sumTestResults } from '#test/support/sum-test-results.ts';
import type { SuiteResult } from '#test/support/summary-reporter.ts';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const vitestCli = join(require.resolve('vitest/package.json'), '../vitest.mjs');
const tsxCli = join(require.resolve('tsx/package.json'), '../dist/cli.mjs');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly dir: string;
}

/** The environment without this worker's own vitest variables (the child is a vitest of its own). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'TEST' && key !== 'NODE_ENV') env[key] = value;
  }
  return { ...env, ...extra, NO_COLOR: '1', FORCE_COLOR: '0' };
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Omit<Run, 'dir'>> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd: root, env: childEnv(env), timeout: 110_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout });
      },
    );
  });
}

async function fixtureRun(scenario: 'hooks' | 'global-setup' | 'crash'): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `summary-${scenario}-`));
  const result = await run(vitestCli, ['run', '--config', 'test/reporter-fixtures/vitest.config.ts'], {
    FIXTURE_SCENARIO: scenario,
    FIXTURE_OUTPUT_DIR: dir,
  });
  return { ...result, dir };
}

function suiteFile(dir: string, suite: string): SuiteResult {
  return JSON.parse(readFileSync(join(dir, `${suite}.json`), 'utf8')) as SuiteResult;
}

/** The reporter's `N passed, N failed` line (the last such line the run printed). */
function summaryLine(stdout: string): string | undefined {
  return stdout
    .split('\n')
    .filter((l) => /^\d+ passed, \d+ failed$/.test(l))
    .at(-1);
}

describe('the summary reporter', () => {
  it('counts failing hooks and a file that cannot load as failures', { timeout: 120_000 }, async () => {
    const { code, stdout, dir } = await fixtureRun('hooks');
    expect(code).toBe(1);
    // Per suite: tests skipped by a failing beforeAll are not passes; the hook is one failure.
    expect(suiteFile(dir, 'before-all-fails')).toEqual({
      passed: 0,
      failed: 1,
      complete: true,
      problems: ['before-all-fails.test.ts: the service this file needs did not start'],
    });
    // Both tests passed, then afterAll failed: the hook is still a failure.
    expect(suiteFile(dir, 'after-all-fails')).toEqual({
      passed: 2,
      failed: 1,
      complete: true,
      problems: ['after-all-fails.test.ts: could not stop what the file started'],
    });
    // A describe's beforeAll (one failure; its test skipped), a beforeEach (its test failed), one pass.
    expect(suiteFile(dir, 'nested-hooks-fail')).toEqual({
      passed: 1,
      failed: 2,
      complete: true,
      problems: ['nested-hooks-fail.test.ts > needs a table: no table'],
    });
    expect(suiteFile(dir, 'cannot-load')).toEqual({
      passed: 0,
      failed: 1,
      complete: true,
      problems: ['cannot-load.test.ts: this file cannot be loaded'],
    });
    expect(suiteFile(dir, 'passes')).toEqual({ passed: 1, failed: 1, complete: true, problems: [] });
    expect(summaryLine(stdout)).toBe('4 passed, 6 failed');

    // The sum CI prints, through the script's command line.
    const sum = await run(tsxCli, ['test/support/sum-test-results.ts', dir, 'passes'], {});
    expect(sum.code).toBe(1);
    expect(sum.stdout).toBe('4 passed, 6 failed\n');
  });

  it('counts a failing global setup as a failure of every suite it stopped', {
    timeout: 120_000,
  }, async () => {
    const { code, stdout, dir } = await fixtureRun('global-setup');
    expect(code).toBe(1);
    const stopped = {
      passed: 0,
      failed: 1,
      complete: true,
      problems: ["the run failed before this suite's tests could run (a global setup?)"],
    };
    expect(suiteFile(dir, 'needs-services')).toEqual(stopped);
    // Vitest runs no project once one global setup failed.
    expect(suiteFile(dir, 'healthy')).toEqual(stopped);
    expect(summaryLine(stdout)).toBe('0 passed, 2 failed');
  });

  it('leaves a failure behind when the run dies before reporting', { timeout: 120_000 }, async () => {
    const { code, stdout, dir } = await fixtureRun('crash');
    expect(code).toBe(3);
    expect(summaryLine(stdout)).toBeUndefined();
    expect(suiteFile(dir, 'crashing')).toEqual({
      passed: 0,
      failed: 1,
      complete: false,
      problems: ['the run did not finish'],
    });
    expect(sumTestResults(dir, ['crashing'])).toEqual({
      passed: 0,
      failed: 1,
      problems: [
        'crashing: the run did not finish (crashed or was killed)',
        'crashing: the run did not finish',
      ],
    });
  });
});

describe('adding up the suites (.ci/run)', () => {
  const dirWith = (files: Record<string, unknown>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'summary-sum-'));
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    }
    return dir;
  };

  it('adds the suites that reported', () => {
    const dir = dirWith({
      'unit.json': { passed: 300, failed: 0, complete: true, problems: [] },
      'ironic.json': { passed: 40, failed: 2, complete: true, problems: [] },
    });
    expect(sumTestResults(dir, ['unit', 'ironic'])).toEqual({ passed: 340, failed: 2, problems: [] });
  });

  it('counts an expected suite that wrote nothing, or something unreadable, as a failure', () => {
    const dir = dirWith({
      'unit.json': { passed: 300, failed: 0, complete: true, problems: [] },
      'bench.json': '{"passed": 1,',
    });
    expect(sumTestResults(dir, ['unit', 'ironic'])).toEqual({
      passed: 300,
      failed: 2,
      problems: [
        expect.stringMatching(/^bench: unreadable results/),
        'ironic: wrote no results (it did not run, or crashed before reporting)',
      ],
    });
  });

  it('counts a run that reported nothing at all as a failure', () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'summary-none-')), 'missing');
    expect(sumTestResults(empty, [])).toEqual({
      passed: 0,
      failed: 1,
      problems: ['no suite reported any result'],
    });
    mkdirSync(empty);
    expect(sumTestResults(empty, ['unit']).failed).toBe(1);
  });
});

describe('the coverage line (.ci/run)', () => {
  it('adds up lines and branches per folder and in all, from the json-summary report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coverage-'));
    const file = (lines: [number, number], branches: [number, number]) => ({
      lines: { total: lines[1], covered: lines[0], skipped: 0, pct: 0 },
      statements: { total: lines[1], covered: lines[0], skipped: 0, pct: 0 },
      functions: { total: 1, covered: 1, skipped: 0, pct: 100 },
      branches: { total: branches[1], covered: branches[0], skipped: 0, pct: 0 },
    });
    const summary = join(dir, 'coverage-summary.json');
    writeFileSync(
      summary,
      JSON.stringify({
        total: file([0, 0], [0, 0]),
        [join(root, 'lib/a.ts')]: file([90, 100], [40, 50]),
        [join(root, 'lib/b/c.ts')]: file([10, 10], [0, 0]),
        [join(root, 'functions/api.ts')]: file([27, 30], [3, 4]),
      }),
    );
    const figures = coverageFigures(summary, root);
    expect(figures).toEqual({
      'lib/': { lines: { covered: 100, total: 110 }, branches: { covered: 40, total: 50 } },
      'functions/': { lines: { covered: 27, total: 30 }, branches: { covered: 3, total: 4 } },
      all: { lines: { covered: 127, total: 140 }, branches: { covered: 43, total: 54 } },
    });
    expect(coverageLine(figures)).toBe(
      'coverage: lib/ lines 90.9% branches 80.0%; functions/ lines 90.0% branches 75.0%; all lines 90.7% branches 79.6%',
    );
  });
});

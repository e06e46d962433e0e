/**
 * Adds up the suites' `.test-results/<suite>.json` files (written by the summary reporter) into the one
 * line CI reads, `N passed, N failed`. A suite that was expected but wrote no file (it did not run, or
 * its process died before the reporter started), wrote one that is not complete (it crashed) or wrote
 * one that cannot be read counts as a failure.
 *
 * @example
 * ```sh
 * tsx test/support/sum-test-results.ts .test-results unit ironic   # prints "412 passed, 0 failed"
 * ```
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

const suiteResultSchema = z.object({
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  complete: z.boolean(),
  problems: z.array(z.string()).default([]),
});

export interface TestTotals {
  readonly passed: number;
  readonly failed: number;
  /** Why failures were counted beyond failed tests, one line per cause. */
  readonly problems: readonly string[];
}

/** The totals of every suite file in `dir`, each suite in `expected` counting even when absent. */
export function sumTestResults(dir: string, expected: readonly string[]): TestTotals {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  const suites = new Set([...expected, ...files.map((f) => f.replace(/\.json$/, ''))]);
  let passed = 0;
  let failed = 0;
  const problems: string[] = [];
  for (const suite of [...suites].sort()) {
    const path = join(dir, `${suite}.json`);
    if (!existsSync(path)) {
      failed++;
      problems.push(`${suite}: wrote no results (it did not run, or crashed before reporting)`);
      continue;
    }
    let parsed: z.infer<typeof suiteResultSchema>;
    try {
      parsed = suiteResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch (err) {
      failed++;
      problems.push(`${suite}: unreadable results (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    passed += parsed.passed;
    failed += parsed.complete ? parsed.failed : Math.max(1, parsed.failed);
    if (!parsed.complete) problems.push(`${suite}: the run did not finish (crashed or was killed)`);
    for (const problem of parsed.problems) problems.push(`${suite}: ${problem}`);
  }
  if (suites.size === 0) {
    failed++;
    problems.push('no suite reported any result');
  }
  return { passed, failed, problems };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir = '.test-results', ...expected] = process.argv.slice(2);
  const totals = sumTestResults(dir, expected);
  for (const problem of totals.problems) process.stderr.write(`${problem}\n`);
  process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
  process.exitCode = totals.failed > 0 ? 1 : 0;
}

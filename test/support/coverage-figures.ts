/**
 * The coverage figures `.ci/run` prints, as one plain line, from the `json-summary` report that
 * `npm run test:coverage` writes (`coverage/coverage-summary.json`): lines and branches of `lib/`,
 * of `functions/`, and of both.
 *
 * @example
 * ```sh
 * tsx test/support/coverage-figures.ts coverage/coverage-summary.json
 * # coverage: lib/ lines 93.1% branches 84.0%; functions/ lines 97.2% branches 88.5%; all lines 93.4% branches 84.2%
 * ```
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

const counter = z.object({ total: z.number(), covered: z.number() });
const fileSummary = z.looseObject({ lines: counter, branches: counter });
const summarySchema = z.record(z.string(), fileSummary);

export interface Figures {
  readonly lines: { readonly covered: number; readonly total: number };
  readonly branches: { readonly covered: number; readonly total: number };
}

/** Lines and branches per top-level folder (`lib/`, `functions/`) and for all files. */
export function coverageFigures(summaryPath: string, root = process.cwd()): Record<string, Figures> {
  const summary = summarySchema.parse(JSON.parse(readFileSync(summaryPath, 'utf8')));
  const figures: Record<string, Figures> = {};
  const add = (key: string, file: z.infer<typeof fileSummary>) => {
    const before = figures[key] ?? { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 } };
    figures[key] = {
      lines: {
        covered: before.lines.covered + file.lines.covered,
        total: before.lines.total + file.lines.total,
      },
      branches: {
        covered: before.branches.covered + file.branches.covered,
        total: before.branches.total + file.branches.total,
      },
    };
  };
  for (const [path, file] of Object.entries(summary)) {
    if (path === 'total') continue;
    const top = relative(root, resolve(root, path)).split(/[\\/]/)[0] ?? '';
    add(`${top}/`, file);
    add('all', file);
  }
  return figures;
}

const pct = (c: { covered: number; total: number }) =>
  `${(c.total === 0 ? 100 : (100 * c.covered) / c.total).toFixed(1)}%`;

/** The one line: `coverage: lib/ lines …% branches …%; functions/ …; all …`. */
export function coverageLine(figures: Record<string, Figures>): string {
  const order = ['lib/', 'functions/', 'all'];
  const keys = [
    ...order.filter((k) => k in figures),
    ...Object.keys(figures).filter((k) => !order.includes(k)),
  ];
  const parts = keys.map((k) => {
    const f = figures[k] as Figures;
    return `${k} lines ${pct(f.lines)} branches ${pct(f.branches)}`;
  });
  return `coverage: ${parts.join('; ')}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = process.argv[2] ?? 'coverage/coverage-summary.json';
  try {
    process.stdout.write(`${coverageLine(coverageFigures(path))}\n`);
  } catch (err) {
    process.stdout.write(`coverage: no report (${(err as Error).message.split('\n')[0]})\n`);
    process.exitCode = 1;
  }
}

/**
 * `npm run bench:cold-start`: the Lambda bundles as the stack builds them (`infra/bundling.ts`, the
 * local esbuild), their minified sizes, and the cold import of each handler in fresh node processes,
 * for both ways the stack can bundle: with the Lambda runtime's AWS SDK (the default: `@aws-sdk/*`
 * left out and imported by name) and with the pinned SDK bundled (`bundleAwsSdk`).
 *
 * Per function and variant:
 * - size: every `.mjs` file of the asset (entry and chunks), what a cold start loads (the entry and
 *   the chunks it imports statically), the runtime's SDK packages that first load imports, and the
 *   largest packages in it (esbuild metafile);
 * - cold import: `await import('index.mjs')` in a fresh `node --enable-source-maps` (as Lambda runs
 *   it), over `BENCH_RUNS` processes (default 10, the two variants taking turns): min, median, max.
 *   With the runtime's SDK, the bundle imports `@aws-sdk/*` from the project's `node_modules`
 *   (linked next to the bundles), standing in for the Lambda runtime's copy;
 * - api only: `GET /` answered right after the import, and the first request that needs the node
 *   cache (`GET /v1/introspection?limit=x`, a 400 found before any I/O: it measures loading and
 *   building the lazy parts, without a network round trip).
 *
 * Options: `BENCH_RUNS=10`, `BENCH_KEEP=1` keeps the bundles (their folder is printed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Metafile } from 'esbuild';
import { bundleFunction, PROJECT_ROOT } from '../infra/bundling.ts';
import { formatTable, median } from './support/table.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const FUNCTIONS = ['api', 'worker', 'clean-up', 'authorizer-basic', 'authorizer-keystone'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
/** The two ways the stack bundles a function: the default first. */
const VARIANTS = [
  { label: "runtime's (default)", dir: 'runtime-sdk', bundleAwsSdk: false },
  { label: 'bundled (bundleAwsSdk)', dir: 'bundled-sdk', bundleAwsSdk: true },
] as const;

/** Runs in each fresh process: import the bundle, then (api) answer two requests. */
const PROBE = `
const [bundle, name] = process.argv.slice(2);
const cpuMs = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const c0 = process.cpuUsage();
const t0 = performance.now();
const m = await import(bundle);
const importMs = performance.now() - t0;
const importCpuMs = cpuMs(c0);
const event = (path, query = '') => ({
  version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: query,
  ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
  headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https' },
  requestContext: { domainName: 'abc.execute-api.eu-west-1.amazonaws.com', http: { method: 'GET', path },
    requestId: 'r1', stage: '$default' },
  isBase64Encoded: false,
});
const context = { awsRequestId: 'r1', functionName: name, getRemainingTimeInMillis: () => 29000 };
const result = { importMs, importCpuMs };
if (name === 'api') {
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  const root = await m.handler(event('/'), context);
  result.rootMs = performance.now() - t1;
  result.rootCpuMs = cpuMs(c1);
  result.rootStatus = root.statusCode;
  const t2 = performance.now();
  const list = await m.handler(event('/v1/introspection', 'limit=x'), context);
  result.firstNodeCacheMs = performance.now() - t2;
  result.firstNodeCacheStatus = list.statusCode;
}
process.stderr.write('\\nCOLD-START ' + JSON.stringify(result) + '\\n');
`;

interface Probe {
  importMs: number;
  importCpuMs: number;
  rootMs?: number;
  rootCpuMs?: number;
  rootStatus?: number;
  firstNodeCacheMs?: number;
  firstNodeCacheStatus?: number;
}

/** What the asset holds and what a cold start loads, from esbuild's metafile. */
function sizes(metafile: Metafile, outdir: string, entryPoint: string) {
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  const byPath = new Map(outputs.map(([file, output]) => [join(PROJECT_ROOT, file), output]));
  const entry = outputs.find(([, output]) => output.entryPoint === entryPoint);
  if (entry === undefined) throw new Error('no entry point in the bundle');
  const initial = new Set<string>();
  const runtimeSdk = new Set<string>();
  const visit = (file: string) => {
    const path = join(PROJECT_ROOT, file);
    if (initial.has(path)) return;
    initial.add(path);
    for (const imported of byPath.get(path)?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (!imported.external) visit(imported.path);
      else if (imported.path.startsWith('@aws-sdk/')) runtimeSdk.add(imported.path);
    }
  };
  visit(entry[0]);
  const packages = new Map<string, number>();
  for (const path of initial) {
    for (const [input, { bytesInOutput }] of Object.entries(byPath.get(path)?.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/')[0] ?? input;
      packages.set(pkg, (packages.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  const sum = (paths: Iterable<string>) => [...paths].reduce((n, p) => n + (byPath.get(p)?.bytes ?? 0), 0);
  return {
    total: sum(byPath.keys()),
    files: byPath.size,
    initial: sum(initial),
    initialFiles: initial.size,
    entryFile: relative(outdir, join(PROJECT_ROOT, entry[0])),
    runtimeSdk: [...runtimeSdk].sort(),
    top: [...packages].sort((a, b) => b[1] - a[1]).slice(0, 4),
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (values: number[]) =>
  values.length === 0
    ? '–'
    : `${Math.min(...values).toFixed(0)} / ${median(values).toFixed(0)} / ${Math.max(...values).toFixed(0)}`;

const work = mkdtempSync(join(tmpdir(), 'cold-start-'));
const probe = join(work, 'probe.mjs');
writeFileSync(probe, PROBE);
// Where the bundles without the SDK find `@aws-sdk/*`, as they find the runtime's in Lambda.
symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
const sizeRows: string[][] = [];
const timeRows: string[][] = [];
const heavy: string[] = [];
try {
  for (const name of FUNCTIONS) {
    const entryPoint = `functions/${name}.ts`;
    const built = VARIANTS.map((variant) => {
      const outdir = join(work, variant.dir, name);
      const { metafile } = bundleFunction(entryPoint, outdir, { bundleAwsSdk: variant.bundleAwsSdk });
      return { variant, outdir, size: sizes(metafile, outdir, entryPoint), runs: [] as Probe[] };
    });
    // The variants take turns, so that a change in the machine's load touches both alike.
    for (let i = 0; i < RUNS; i++) {
      for (const b of built) b.runs.push(runProbe(join(b.outdir, b.size.entryFile), name));
    }
    for (const { variant, size, runs } of built) {
      sizeRows.push([
        name,
        variant.label,
        `${kb(size.total)} (${size.files} file${size.files === 1 ? '' : 's'})`,
        `${kb(size.initial)} (${size.initialFiles} file${size.initialFiles === 1 ? '' : 's'})`,
        size.initial <= 300 * 1024 ? 'yes' : 'no',
        variant.bundleAwsSdk
          ? '–'
          : size.runtimeSdk.map((p) => p.replace('@aws-sdk/', '')).join(', ') || 'none',
      ]);
      heavy.push(
        `${name}, ${variant.label}: ${size.top.map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`).join(', ')}`,
      );
      timeRows.push([
        name,
        variant.label,
        ms(runs.map((r) => r.importMs)),
        ms(runs.map((r) => r.importCpuMs)),
        ms(runs.flatMap((r) => (r.rootMs === undefined ? [] : [r.rootMs]))),
        ms(runs.flatMap((r) => (r.rootCpuMs === undefined ? [] : [r.rootCpuMs]))),
        ms(runs.flatMap((r) => (r.firstNodeCacheMs === undefined ? [] : [r.firstNodeCacheMs]))),
      ]);
    }
  }
} finally {
  if (process.env.BENCH_KEEP) console.log(`Bundles kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

function runProbe(bundle: string, name: FunctionName): Probe {
  const child = spawnSync(process.execPath, ['--enable-source-maps', probe, bundle, name], {
    cwd: work,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      // What the stack sets (no credentials: nothing here reaches AWS).
      AWS_REGION: 'eu-west-1',
      NODE_CACHE_TABLE: 'cold-start',
      INTROSPECTION_DATA_BUCKET: 'cold-start',
      API_AUTH_STRATEGY: 'iam',
      POWERTOOLS_SERVICE_NAME: 'serverless-inspector',
      POWERTOOLS_METRICS_NAMESPACE: 'ServerlessInspector',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const line = /COLD-START (.*)/.exec(child.stderr)?.[1];
  if (child.status !== 0 || line === undefined) {
    throw new Error(`${name}: the probe failed (exit ${child.status}):\n${child.stderr}`);
  }
  const result = JSON.parse(line) as Probe;
  if (name === 'api' && (result.rootStatus !== 200 || result.firstNodeCacheStatus !== 400)) {
    throw new Error(`api: GET / answered ${result.rootStatus}, the list ${result.firstNodeCacheStatus}`);
  }
  return result;
}

console.log(
  `Lambda bundles (infra/bundling.ts: ESM, minified, code splitting), node ${process.version}; AWS SDK: the Lambda runtime's (the stack's default) or bundled (bundleAwsSdk)\n`,
);
console.log(
  formatTable(
    [
      'function',
      'AWS SDK',
      'asset (every .mjs)',
      'first load (entry + static chunks)',
      'first load ≤ 300 KB',
      "first load imports from the runtime's SDK",
    ],
    sizeRows,
    'llrrll',
  ),
);
console.log('\nLargest packages in the first load:');
for (const line of heavy) console.log(`  ${line}`);
console.log(
  `\nCold start, ${RUNS} fresh processes each (min / median / max, ms; goal: api import ≤ 100). Wall time, and the\nprocess's CPU time over the same span (steadier when other work shares the cores). The runtime's SDK is read\nfrom the project's node_modules here. Load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}:\n`,
);
console.log(
  formatTable(
    [
      'function',
      'AWS SDK',
      'import',
      'import, CPU',
      'then GET /',
      'GET /, CPU',
      'then first node-cache request',
    ],
    timeRows,
    'llrrrrr',
  ),
);
console.log('\nUpstream figures (issue 12): the bundles were 1.1 MB each, the api cold import about 280 ms.');

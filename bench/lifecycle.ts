/**
 * `npm run bench:lifecycle`: whole introspections against the real Ironic, through the local stack
 * running in a child process (`npm start`'s code, its own CPU and memory), beside upstream's figures.
 *
 * - Ironic: the one answering on `BENCH_IRONIC_PORT` (default 6385) is reused, else
 *   `scripts/ironic-standalone.sh` starts one (and stops it at the end). Each run enrolls fresh
 *   fake-hardware nodes (two ports, a BMC address each) and deletes them at the end.
 * - DynamoDB Local and s3rver are started here; the stack reaches them, and Ironic, through counting
 *   proxies, so every request it makes is counted (`bench/support/counting-proxy.ts`). The benchmark's
 *   own reads (waiting for states, seeding) go straight to DynamoDB Local and are not counted.
 * - Per run (`BENCH_CLIENTS`, default 1 and 8 clients): a start round (every node `POST
 *   /v1/introspection/<uuid>`, until all are `waiting`), then a callback round (every node's ramdisk
 *   `POST /v1/continue` with the sample inventory, until all are `finished`): nodes/s, request p50/p90,
 *   the stack's CPU time per node, Ironic / DynamoDB / S3 requests and log lines per introspection.
 * - Then, once: the list of 50 and, with `BENCH_LIST` (1,000) introspections seeded into the store,
 *   the list of 1,000; a lookup miss (`/v1/continue` for unknown MACs, 400); the stack's memory
 *   (RSS now and peak) and DynamoDB Local's.
 * - Logging: the runs are made with `npm start`'s logging (one line per event) and again with logging
 *   off (`POWERTOOLS_LOG_LEVEL=SILENT`), which gives what logging costs. `BENCH_LOGGING=on|off|both`.
 * - `BENCH_PROFILE=1`: one more callback round (1 client) under V8's CPU profiler, summarised (where
 *   the time of one callback goes); the profile is kept in `.data/bench/callback.cpuprofile`.
 *
 * Settings: `INTROSPECTION_DELAY=0` (as upstream's figures were taken), clean-up timer off,
 * `IRONIC_TIMEOUT_SECONDS=60` (a shared Ironic on a busy machine can be slower than the default 10 s).
 * Options: `BENCH_NODES` (50), `BENCH_CLIENTS` (1,8), `BENCH_LIST` (1000), `BENCH_LOGGING` (both),
 * `BENCH_PROFILE`, `BENCH_IRONIC_PORT` (6385).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeCacheFromConfig } from '#lib/adapters/aws.ts';
import { loadConfig } from '#lib/config.ts';
import { newRowId } from '#lib/lookup-attributes.ts';
import { silentLogger } from '#lib/ports/logger.ts';
import type { NodeRecord } from '#lib/ports/node-store.ts';
import type { IntrospectionState } from '#lib/state-machine.ts';
import { LOCAL_CREDENTIALS, startLocalServices } from '../scripts/local-services.ts';
import { sampleCallback } from '../scripts/sample-callback.ts';
import {
  type CountingProxy,
  dynamoDbRequestKey,
  ironicRequestKey,
  s3RequestKey,
  startCountingProxy,
} from './support/counting-proxy.ts';
import { summariseProfile } from './support/cpu-profile.ts';
import { type BenchNode, deleteNodes, enrollNodes, ensureIronic, pool } from './support/ironic-nodes.ts';
import { formatTable, quantile } from './support/table.ts';

const N = Number(process.env.BENCH_NODES ?? 50);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,8').split(',').map(Number);
const LIST_SIZE = Number(process.env.BENCH_LIST ?? 1000);
const LOGGING = process.env.BENCH_LOGGING ?? 'both';
const PROFILE = process.env.BENCH_PROFILE === '1';
const IRONIC_PORT = Number(process.env.BENCH_IRONIC_PORT ?? 6385);
const BUCKET = 'bench-introspection-data';
const root = resolve(import.meta.dirname, '..');
const runId = randomUUID().slice(0, 6);

process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
process.env.AWS_REGION ??= 'us-east-1';

interface Usage {
  cpuMs: number;
  rss: number;
}

/** The local stack in its child process (`bench/support/stack-process.ts`). */
interface StackProcess {
  readonly url: string;
  readonly pid: number;
  request<T>(type: string, extra?: Record<string, unknown>): Promise<T>;
  /** Log lines the stack printed since the last call. */
  takeLogLines(): number;
  stop(): Promise<void>;
}

async function startStack(env: Record<string, string>): Promise<StackProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(root, 'bench/support/stack-process.ts')],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let lines = 0;
  let lastOutput = '';
  const count = (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) lines++;
    lastOutput = (lastOutput + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', count);
  child.stderr?.on('data', count);
  const waiting = new Map<string, (message: Record<string, unknown>) => void>();
  child.on('message', (message: Record<string, unknown>) => {
    const type = String(message.type);
    waiting.get(type)?.(message);
    waiting.delete(type);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <T>(type: string) =>
    Promise.race([
      new Promise<T>((resolve) => waiting.set(type, (m) => resolve(m as T))),
      exited.then(() => {
        throw new Error(`the stack exited (code ${child.exitCode}):\n${lastOutput}`);
      }),
    ]);
  const ready = await next<{ url: string }>('ready');
  return {
    url: ready.url,
    pid: child.pid as number,
    request<T>(type: string, extra: Record<string, unknown> = {}) {
      const answer = next<T>(type);
      child.send({ type, ...extra });
      return answer;
    },
    takeLogLines() {
      const taken = lines;
      lines = 0;
      return taken;
    },
    async stop() {
      if (child.exitCode === null) child.send({ type: 'stop' });
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memoryOf(pid: number | undefined): { rss: number; peak: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

async function timed(call: () => Promise<Response>, expected: number, what: string): Promise<number> {
  const t = performance.now();
  const response = await call();
  const text = await response.text();
  const ms = performance.now() - t;
  if (response.status !== expected) throw new Error(`${what}: HTTP ${response.status} ${text}`);
  return ms;
}

interface Proxies {
  readonly ironic: CountingProxy;
  readonly dynamoDb: CountingProxy;
  readonly s3: CountingProxy;
}

interface RunResult {
  clients: number;
  logging: boolean;
  startRate: number;
  startMs: number[];
  callbackRate: number;
  callbackMs: number[];
  cpuPerStart: number;
  cpuPerCallback: number;
  perIntrospection: { ironic: number; dynamoDb: number; s3: number; logLines: number };
  breakdown: { ironic: Map<string, number>; dynamoDb: Map<string, number>; s3: Map<string, number> };
}

const addCounts = (into: Map<string, number>, from: ReadonlyMap<string, number>) => {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
};

async function main() {
  const loadBefore = loadavg();
  console.log(
    `bench:lifecycle: ${N} nodes, clients ${CLIENTS.join(' and ')}, logging ${LOGGING}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} (${process.env.BENCH_NOTE ?? 'machine shared with other work'})`,
  );
  const ironic = await ensureIronic(IRONIC_PORT);
  console.log(
    `Ironic at ${ironic.url} (${ironic.reused ? 'reused, already answering' : 'started for this run'})`,
  );
  const services = await startLocalServices({ buckets: [BUCKET] });
  const proxies: Proxies = {
    ironic: await startCountingProxy(ironic.url, ironicRequestKey),
    dynamoDb: await startCountingProxy(services.dynamoDbEndpoint, dynamoDbRequestKey),
    s3: await startCountingProxy(services.s3Endpoint, s3RequestKey),
  };
  const enrolled: BenchNode[] = [];
  let stack: StackProcess | undefined;
  const results: RunResult[] = [];
  const once: Record<string, string> = {};
  const failures: string[] = [];
  let profileSummary: string | undefined;
  try {
    const passes = LOGGING === 'both' ? [true, false] : [LOGGING !== 'off'];
    for (const logging of passes) {
      const table = `bench-${runId}-${logging ? 'log' : 'quiet'}`;
      // Straight to DynamoDB Local (not counted): waiting for states and seeding.
      const direct = createNodeCacheFromConfig(
        loadConfig({
          NODE_CACHE_TABLE: table,
          INTROSPECTION_DATA_BUCKET: BUCKET,
          DYNAMODB_ENDPOINT: services.dynamoDbEndpoint,
          S3_ENDPOINT: services.s3Endpoint,
        }),
        silentLogger,
        { ironic: null },
      );
      const store = direct.deps.nodes;
      stack = await startStack({
        IRONIC_URL: proxies.ironic.url,
        DYNAMODB_ENDPOINT: proxies.dynamoDb.url,
        S3_ENDPOINT: proxies.s3.url,
        NODE_CACHE_TABLE: table,
        INTROSPECTION_DATA_BUCKET: BUCKET,
        INTROSPECTION_DELAY: '0',
        // Ironic (one Python process, shared) can take longer than the default 10 s on a busy machine.
        IRONIC_TIMEOUT_SECONDS: process.env.IRONIC_TIMEOUT_SECONDS ?? '60',
        LOG_FORMAT: process.env.LOG_FORMAT ?? 'line',
        POWERTOOLS_LOG_LEVEL: logging ? (process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') : 'SILENT',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
      const s = stack;
      const usage = () => s.request<Usage>('usage');

      /** Until every node is in `state` (polling the store directly); a node in error fails the run. */
      const waitAll = async (nodes: readonly BenchNode[], state: IntrospectionState) => {
        const pending = new Set(nodes.map((n) => n.uuid));
        const deadline = Date.now() + 600_000;
        while (pending.size > 0) {
          for (const record of await store.listNodes({ states: [state, 'error'], limit: 100_000 })) {
            if (!pending.has(record.uuid)) continue;
            if (record.state === 'error') throw new Error(`node ${record.uuid} failed: ${record.error}`);
            pending.delete(record.uuid);
          }
          if (pending.size === 0) break;
          if (Date.now() > deadline) throw new Error(`${pending.size} nodes never reached ${state}`);
          await sleep(100);
        }
      };

      const runRound = async (
        nodes: readonly BenchNode[],
        clients: number,
        request: (node: BenchNode, index: number) => Promise<number>,
        state: IntrospectionState,
      ) => {
        const t = performance.now();
        const latencies = await pool(
          nodes.map((node, index) => ({ node, index })),
          clients,
          ({ node, index }) => request(node, index),
        );
        await waitAll(nodes, state);
        const seconds = (performance.now() - t) / 1000;
        await s.request('idle');
        return { rate: nodes.length / seconds, latencies };
      };
      const startOne = (node: BenchNode) =>
        timed(() => fetch(`${s.url}/v1/introspection/${node.uuid}`, { method: 'POST' }), 202, 'start');
      const callbackOne = (bodies: string[]) => (_node: BenchNode, index: number) =>
        timed(
          () =>
            fetch(`${s.url}/v1/continue`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: bodies[index],
            }),
          200,
          'callback',
        );

      for (const clients of CLIENTS) {
        const label = `logging ${logging ? 'on ' : 'off'}, ${clients} client(s)`;
        try {
          const nodes = await enrollNodes(ironic.url, N, `bench-${runId}-${logging ? 'l' : 'q'}${clients}`);
          enrolled.push(...nodes);
          const bodies = nodes.map((n) => JSON.stringify(sampleCallback(n.macs, n.bmc)));
          for (const proxy of Object.values(proxies)) proxy.reset();
          s.takeLogLines();
          const u0 = await usage();
          const starts = await runRound(nodes, clients, startOne, 'waiting');
          const u1 = await usage();
          const callbacks = await runRound(nodes, clients, callbackOne(bodies), 'finished');
          const u2 = await usage();
          const logLines = s.takeLogLines();
          results.push({
            clients,
            logging,
            startRate: starts.rate,
            startMs: starts.latencies,
            callbackRate: callbacks.rate,
            callbackMs: callbacks.latencies,
            cpuPerStart: (u1.cpuMs - u0.cpuMs) / N,
            cpuPerCallback: (u2.cpuMs - u1.cpuMs) / N,
            perIntrospection: {
              ironic: proxies.ironic.total() / N,
              dynamoDb: proxies.dynamoDb.total() / N,
              s3: proxies.s3.total() / N,
              logLines: logLines / N,
            },
            breakdown: {
              ironic: new Map(proxies.ironic.counts()),
              dynamoDb: new Map(proxies.dynamoDb.counts()),
              s3: new Map(proxies.s3.counts()),
            },
          });
          const r = results.at(-1) as RunResult;
          console.log(
            `  ${label}: starts ${r.startRate.toFixed(1)}/s, callbacks ${r.callbackRate.toFixed(1)}/s, CPU ${r.cpuPerCallback.toFixed(1)} ms/callback`,
          );
        } catch (err) {
          // One failed run (e.g. a request refused under load) does not cost the others.
          failures.push(`${label}: ${String(err)}`);
          console.log(`  ${label}: FAILED: ${String(err)}`);
        } finally {
          await deleteNodes(ironic.url, enrolled).catch(() => undefined);
          enrolled.splice(0, enrolled.length);
        }
      }

      if (PROFILE && logging) {
        const count = Math.min(N, 20);
        const nodes = await enrollNodes(ironic.url, count, `bench-${runId}-prof`);
        enrolled.push(...nodes);
        const bodies = nodes.map((n) => JSON.stringify(sampleCallback(n.macs, n.bmc)));
        await runRound(nodes, 1, startOne, 'waiting');
        const dir = resolve(root, '.data', 'bench');
        mkdirSync(dir, { recursive: true });
        const path = resolve(dir, 'callback.cpuprofile');
        await s.request('profile-start');
        const before = await usage();
        await runRound(nodes, 1, callbackOne(bodies), 'finished');
        const after = await usage();
        await s.request('profile-stop', { path });
        const profile = JSON.parse(readFileSync(path, 'utf8'));
        profileSummary = `${summariseProfile(profile, { units: count, unit: 'callback', cpuMs: after.cpuMs - before.cpuMs })}\n\n(profile: ${path}; open it in Chrome DevTools or speedscope)`;
        await deleteNodes(ironic.url, nodes);
        enrolled.splice(0, enrolled.length);
      }

      if (once.list50 === undefined) {
        const list = async (limit: number, samples: number) => {
          const times: number[] = [];
          proxies.dynamoDb.reset();
          for (let i = 0; i < samples; i++) {
            times.push(await timed(() => fetch(`${s.url}/v1/introspection?limit=${limit}`), 200, 'list'));
          }
          return { p50: quantile(times, 0.5), requests: proxies.dynamoDb.total() / samples };
        };
        const l50 = await list(50, 20);
        once.list50 = `${l50.p50.toFixed(1)} ms (${l50.requests.toFixed(0)} DynamoDB requests)`;
        await seed(store, LIST_SIZE);
        const l1000 = await list(LIST_SIZE, 10);
        once.list1000 = `${l1000.p50.toFixed(1)} ms (${l1000.requests.toFixed(0)} DynamoDB requests)`;
        const miss = JSON.stringify(
          sampleCallback(['52:54:ff:ff:ff:01', '52:54:ff:ff:ff:02'], '192.0.2.254'),
        );
        const misses: number[] = [];
        for (let i = 0; i < 20; i++) {
          misses.push(
            await timed(
              () => fetch(`${s.url}/v1/continue`, { method: 'POST', body: miss }),
              400,
              'lookup miss',
            ),
          );
        }
        once.miss = `${quantile(misses, 0.5).toFixed(1)} ms`;
      }
      const mem = await usage();
      const stackMemory = memoryOf(s.pid);
      const dynamoMemory = memoryOf(services.dynamoDbPid);
      once[logging ? 'memory' : 'memoryQuiet'] =
        `node ${(mem.rss / 1048576).toFixed(0)} MB (peak ${stackMemory?.peak.toFixed(0) ?? '?'} MB)` +
        ` + DynamoDB Local ${dynamoMemory?.rss.toFixed(0) ?? '?'} MB (peak ${dynamoMemory?.peak.toFixed(0) ?? '?'} MB)`;
      await s.stop();
      stack = undefined;
      direct.dynamoDb.destroy();
      direct.s3.destroy();
    }
  } finally {
    if (enrolled.length > 0) await deleteNodes(ironic.url, enrolled).catch(() => undefined);
    await stack?.stop();
    for (const proxy of Object.values(proxies)) await proxy.stop();
    await services.stop();
    ironic.stop();
  }
  report(results, once, loadBefore, profileSummary);
  if (failures.length > 0) {
    console.log(
      `\nFailed runs (their figures are missing above):\n${failures.map((f) => `  ${f}`).join('\n')}`,
    );
    process.exitCode = 1;
  }
}

/** `count` finished introspections written straight into the store (as add_node and finish would). */
async function seed(
  store: ReturnType<typeof createNodeCacheFromConfig>['deps']['nodes'],
  count: number,
): Promise<void> {
  const now = Date.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const startedAt = new Date(now - 86_400_000 - i * 1000);
      const record: NodeRecord = {
        uuid: randomUUID(),
        versionId: randomUUID(),
        state: 'finished',
        startedAt,
        finishedAt: new Date(startedAt.getTime() + 60_000),
        error: null,
        manageBoot: true,
      };
      await store.replaceNode(
        record,
        [{ rowId: newRowId(startedAt), name: 'bmc_address', value: `203.0.113.${i % 250}` }],
        null,
      );
    },
  );
}

function report(
  results: RunResult[],
  once: Record<string, string>,
  loadBefore: number[],
  profileSummary: string | undefined,
) {
  const find = (clients: number, logging: boolean) =>
    results.find((r) => r.clients === clients && r.logging === logging);
  const main = (clients: number) => find(clients, true) ?? find(clients, false);
  const ms = (values: number[] | undefined) =>
    values === undefined
      ? '–'
      : `${quantile(values, 0.5).toFixed(0)} ms (p90 ${quantile(values, 0.9).toFixed(0)})`;
  const rate = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(1));
  const many = Math.max(...CLIENTS);
  const one = Math.min(...CLIENTS);
  const m = main(many);
  const s = main(one);
  const fmt = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));

  console.log(
    `\nLoad average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores shared with other work: wall-clock figures move with it; CPU ms less so)\n`,
  );
  const rows: string[][] = [
    [`starts, ${many} clients (nodes/s until all waiting)`, '5.3–7.4', '4.9–5.3', '≥ 12', rate(m?.startRate)],
    [`start request, ${many} clients, p50`, '465–607 ms', '977–1,018 ms', '', ms(m?.startMs)],
    [
      `callbacks, ${many} clients (nodes/s until all finished)`,
      '3.6–4.1',
      '3.7–3.9',
      '≥ 8',
      rate(m?.callbackRate),
    ],
    [`callback request, ${many} clients, p50`, '–', '–', '', ms(m?.callbackMs)],
    ['one callback at a time, p50', '259–312 ms', '267–274 ms', '≤ 130 ms', ms(s?.callbackMs)],
    ['callbacks, one at a time (nodes/s)', '–', '–', '', rate(s?.callbackRate)],
    ['start request, one at a time, p50', '115–150 ms', '129–136 ms', '', ms(s?.startMs)],
    ['starts, one at a time (nodes/s)', '–', '–', '', rate(s?.startRate)],
    ['list of 50 introspections, p50', '3.5–5.7 ms', '10.6–12.8 ms', '', once.list50 ?? '–'],
    [`list of ${LIST_SIZE} introspections, p50`, '30–60 ms', '–', '≤ 30–60 ms', once.list1000 ?? '–'],
    ['lookup miss (`/v1/continue`, 400), p50', '51 ms', '7–9 ms', '', once.miss ?? '–'],
    ['Ironic requests per introspection', '12', '12', '≤ 8', fmt(m?.perIntrospection.ironic)],
    ['DynamoDB requests per introspection', '–', '–', '', fmt(m?.perIntrospection.dynamoDb)],
    ['S3 requests per introspection', '–', '–', '', fmt(m?.perIntrospection.s3)],
    ['stack CPU per start (1 client)', '–', '–', '', `${fmt(s?.cpuPerStart)} ms`],
    ['stack CPU per callback (1 client)', '–', '–', '', `${fmt(s?.cpuPerCallback)} ms`],
    [
      'log lines per introspection',
      '–',
      '~15 lines of JSON per event',
      '1 per event',
      fmt(m?.perIntrospection.logLines),
    ],
    [
      'memory',
      '150 MB',
      'node 180 MB (+ DynamoDB Local 240–370 MB)',
      '',
      once.memory ?? once.memoryQuiet ?? '–',
    ],
  ];
  console.log(
    formatTable(
      ['figure', 'ironic-inspector 11.1.0', '`npm start` before (issue)', 'goal', 'this run'],
      rows,
    ),
  );

  console.log('\nEvery run (stack CPU is user + system time of the stack process, per node):\n');
  console.log(
    formatTable(
      [
        'logging',
        'clients',
        'starts/s',
        'start p50/p90',
        'callbacks/s',
        'callback p50/p90',
        'CPU/start',
        'CPU/callback',
        'Ironic',
        'DynamoDB',
        'S3',
        'log lines',
      ],
      results.map((r) => [
        r.logging ? 'on' : 'off',
        String(r.clients),
        r.startRate.toFixed(1),
        `${quantile(r.startMs, 0.5).toFixed(0)}/${quantile(r.startMs, 0.9).toFixed(0)} ms`,
        r.callbackRate.toFixed(1),
        `${quantile(r.callbackMs, 0.5).toFixed(0)}/${quantile(r.callbackMs, 0.9).toFixed(0)} ms`,
        `${r.cpuPerStart.toFixed(1)} ms`,
        `${r.cpuPerCallback.toFixed(1)} ms`,
        r.perIntrospection.ironic.toFixed(1),
        r.perIntrospection.dynamoDb.toFixed(1),
        r.perIntrospection.s3.toFixed(1),
        r.perIntrospection.logLines.toFixed(1),
      ]),
      'lrrrrrrrrrrr',
    ),
  );

  const on = results.filter((r) => r.logging);
  const off = results.filter((r) => !r.logging);
  if (on.length > 0 && off.length > 0) {
    const cpu = (rs: RunResult[]) => rs.reduce((n, r) => n + r.cpuPerStart + r.cpuPerCallback, 0) / rs.length;
    const cost = (100 * (cpu(on) - cpu(off))) / cpu(off);
    console.log(
      `\nWhat logging costs: stack CPU per introspection ${cpu(on).toFixed(1)} ms with logging, ${cpu(off).toFixed(1)} ms without: ${cost >= 0 ? '+' : ''}${cost.toFixed(1)}% (goal < 5%; runs this short move a few % either way).`,
    );
    if (once.memoryQuiet !== undefined) console.log(`Memory without logging: ${once.memoryQuiet}`);
  }

  const all = {
    ironic: new Map<string, number>(),
    dynamoDb: new Map<string, number>(),
    s3: new Map<string, number>(),
  };
  let introspections = 0;
  for (const r of results) {
    introspections += N;
    addCounts(all.ironic, r.breakdown.ironic);
    addCounts(all.dynamoDb, r.breakdown.dynamoDb);
    addCounts(all.s3, r.breakdown.s3);
  }
  const breakdown = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${(v / introspections).toFixed(2)}`)
      .join(', ');
  console.log(`\nRequests per introspection, all runs (start to finished):`);
  console.log(`  Ironic: ${breakdown(all.ironic)}`);
  console.log(`  DynamoDB: ${breakdown(all.dynamoDb)}`);
  console.log(`  S3: ${breakdown(all.s3)}`);
  if (profileSummary !== undefined) console.log(`\n${profileSummary}`);
}

await main();

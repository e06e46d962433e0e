/**
 * `npm run bench:lifecycle`: whole introspections against the real Ironic, through the local stack
 * running in a child process (`npm start`'s code, with its own CPU time and memory), beside upstream's
 * figures.
 *
 * - Ironic: the one answering on `BENCH_IRONIC_PORT` (default 6385) is reused, else
 *   `scripts/ironic-standalone.sh` starts one (and stops it at the end). Each run enrolls fresh
 *   fake-hardware nodes (two ports and a BMC address each) and deletes them at the end.
 * - DynamoDB Local and s3rver are started here, outside the stack's process. The stack counts its own
 *   Ironic, DynamoDB and S3 requests (`bench/support/stack-process.ts`: no proxy, no extra hop); the
 *   benchmark's own reads (waiting for states, seeding) go straight to DynamoDB Local, uncounted.
 * - Per run (`BENCH_CLIENTS`, default 1 and 8 clients): a start round (each node `POST
 *   /v1/introspection/<uuid>`, until all are `waiting`), then a callback round (each node's ramdisk
 *   `POST /v1/continue` with the sample inventory, until all are `finished`): nodes/s, request p50/p90,
 *   the stack's CPU time per node, Ironic / DynamoDB / S3 requests and log lines per introspection.
 * - Then, once: the list of 50 and, with `BENCH_LIST` (1,000) introspections seeded into the store,
 *   the list of 1,000; a lookup miss (`/v1/continue` for unknown MACs, 400); the stack's memory
 *   (RSS now and peak) and DynamoDB Local's.
 * - Logging: two stacks, one with `npm start`'s logging (one line per event), one with logging off
 *   (`POWERTOOLS_LOG_LEVEL=SILENT`); their runs alternate (on, off, then off, on) so that a machine
 *   getting busier or quieter does not favour one. What logging costs is their CPU difference, and,
 *   steadier, the CPU time of one log line times the lines per introspection. `BENCH_LOGGING=on|off|both`.
 * - `BENCH_PROFILE=1`: one more callback round (1 client) under V8's CPU profiler, summarised (where
 *   the time of a callback goes); the profile is kept in `.data/bench/callback.cpuprofile`.
 *
 * Settings: `INTROSPECTION_DELAY=0` (as upstream's figures were taken), clean-up timer off,
 * `IRONIC_TIMEOUT_SECONDS=25` (the most allowed: a shared Ironic on a busy machine can be slower than the default 10 s).
 * Options: `BENCH_NODES` (50), `BENCH_CLIENTS` (1,8), `BENCH_LIST` (1000), `BENCH_LOGGING` (both),
 * `BENCH_PROFILE`, `BENCH_IRONIC_PORT` (6385), `BENCH_NOTE` (printed with the load average).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '#lib/config.ts';
import { newRowId } from '#lib/domain/lookup-attributes.ts';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import { silentLogger } from '#lib/ports/logger.ts';
import type { NodeRecord, NodeStore } from '#lib/ports/node-store.ts';
import { createRuntime } from '#lib/runtime.ts';
import { LOCAL_CREDENTIALS, type LocalServices, startLocalServices } from '../scripts/local-services.ts';
import { sampleCallback } from '../scripts/sample-callback.ts';
import { summariseProfile } from './support/cpu-profile.ts';
import { ceilingPerSecond, ironicCapacity, type SerialCost } from './support/ironic-capacity.ts';
import { type BenchNode, deleteNodes, enrollNodes, ensureIronic, pool } from './support/ironic-nodes.ts';
import { formatTable, quantile } from './support/table.ts';

const N = Number(process.env.BENCH_NODES ?? 50);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,8').split(',').map(Number);
const LIST_SIZE = Number(process.env.BENCH_LIST ?? 1000);
const LOGGING = process.env.BENCH_LOGGING ?? 'both';
const PROFILE = process.env.BENCH_PROFILE === '1';
const IRONIC_PORT = Number(process.env.BENCH_IRONIC_PORT ?? 6385);
const CAPACITY = process.env.BENCH_CAPACITY !== '0';
const BUCKET = 'bench-introspection-data';
const root = resolve(import.meta.dirname, '..');
const runId = randomUUID().slice(0, 6);

process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
process.env.AWS_REGION ??= 'us-east-1';

type Counts = [string, number][];

/** The local stack in its child process (`bench/support/stack-process.ts`), with its own table. */
interface Stack {
  readonly logging: boolean;
  readonly url: string;
  readonly pid: number;
  /** The stack's table, read straight from DynamoDB Local (uncounted). */
  readonly store: NodeStore;
  request<T>(type: string, extra?: Record<string, unknown>): Promise<T>;
  usage(): Promise<{ cpuMs: number; systemMs: number; rss: number }>;
  counts(): Promise<{ ironic: Counts; dynamoDb: Counts; s3: Counts }>;
  /** Log lines the stack printed since the last call. */
  takeLogLines(): number;
  stop(): Promise<void>;
}

async function startStack(logging: boolean, ironicUrl: string, services: LocalServices): Promise<Stack> {
  const table = `bench-${runId}-${logging ? 'log' : 'quiet'}`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(root, 'bench/support/stack-process.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        IRONIC_URL: ironicUrl,
        DYNAMODB_ENDPOINT: services.dynamoDbEndpoint,
        S3_ENDPOINT: services.s3Endpoint,
        NODE_CACHE_TABLE: table,
        INTROSPECTION_DATA_BUCKET: BUCKET,
        INTROSPECTION_DELAY: '0',
        IRONIC_TIMEOUT_SECONDS: process.env.IRONIC_TIMEOUT_SECONDS ?? '25',
        LOG_FORMAT: process.env.LOG_FORMAT ?? 'line',
        POWERTOOLS_LOG_LEVEL: logging ? (process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') : 'SILENT',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
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
  const direct = createRuntime({
    config: loadConfig({
      NODE_CACHE_TABLE: table,
      INTROSPECTION_DATA_BUCKET: BUCKET,
      DYNAMODB_ENDPOINT: services.dynamoDbEndpoint,
      S3_ENDPOINT: services.s3Endpoint,
    }),
    logger: silentLogger,
    ironic: null,
  });
  const request = <T>(type: string, extra: Record<string, unknown> = {}) => {
    const answer = next<T>(type);
    child.send({ type, ...extra });
    return answer;
  };
  return {
    logging,
    url: ready.url,
    pid: child.pid as number,
    store: direct.stores.nodes,
    request,
    usage: () => request('usage'),
    counts: () => request('counts'),
    takeLogLines() {
      const taken = lines;
      lines = 0;
      return taken;
    },
    async stop() {
      if (child.exitCode === null) child.send({ type: 'stop' });
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
      direct.close();
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

/** Until every node is in `state` (reading the stack's table directly); a node in error fails the run. */
async function waitAll(store: NodeStore, nodes: readonly BenchNode[], state: IntrospectionState) {
  const pending = new Set(nodes.map((n) => n.uuid));
  const deadline = Date.now() + 900_000;
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
}

/** Every node's request by `clients` clients, then until all are in `state`: nodes/s and latencies. */
async function round(
  stack: Stack,
  nodes: readonly BenchNode[],
  clients: number,
  request: (node: BenchNode, index: number) => Promise<number>,
  state: IntrospectionState,
) {
  const t = performance.now();
  const latencies = await pool(
    nodes.map((node, index) => ({ node, index })),
    clients,
    ({ node, index }) => request(node, index),
  );
  await waitAll(stack.store, nodes, state);
  const seconds = (performance.now() - t) / 1000;
  await stack.request('idle');
  return { rate: nodes.length / seconds, latencies };
}

const startOne = (stack: Stack) => (node: BenchNode) =>
  timed(() => fetch(`${stack.url}/v1/introspection/${node.uuid}`, { method: 'POST' }), 202, 'start');
const callbackOne = (stack: Stack, bodies: string[]) => (_node: BenchNode, index: number) =>
  timed(
    () =>
      fetch(`${stack.url}/v1/continue`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: bodies[index],
      }),
    200,
    'callback',
  );

interface RunResult {
  clients: number;
  logging: boolean;
  startRate: number;
  startMs: number[];
  callbackRate: number;
  callbackMs: number[];
  cpuPerStart: number;
  cpuPerCallback: number;
  /** Share of the stack's CPU time spent in the kernel (system time), start to finished. */
  systemShare: number;
  /** Ironic, DynamoDB and S3 requests per node: start round (to `waiting`), callback round (to `finished`). */
  phases: { start: number[]; callback: number[] };
  perIntrospection: { ironic: number; dynamoDb: number; s3: number; logLines: number };
  counts: { ironic: Counts; dynamoDb: Counts; s3: Counts };
  /** Ironic requests per node in each round. */
  ironicPhases: { start: Counts; callback: Counts };
}

/** One run: fresh nodes, a start round, a callback round; the nodes are deleted by the caller. */
async function run(
  stack: Stack,
  ironicUrl: string,
  clients: number,
  enrolled: BenchNode[],
): Promise<RunResult> {
  const nodes = await enrollNodes(ironicUrl, N, `bench-${runId}-${stack.logging ? 'l' : 'q'}${clients}`);
  enrolled.push(...nodes);
  const bodies = nodes.map((n) => JSON.stringify(sampleCallback(n.macs, n.bmc)));
  await stack.counts();
  stack.takeLogLines();
  const u0 = await stack.usage();
  const starts = await round(stack, nodes, clients, startOne(stack), 'waiting');
  const u1 = await stack.usage();
  const startCounts = await stack.counts();
  const callbacks = await round(stack, nodes, clients, callbackOne(stack, bodies), 'finished');
  const u2 = await stack.usage();
  const logLines = stack.takeLogLines();
  const callbackCounts = await stack.counts();
  const counts = {
    ironic: [...startCounts.ironic, ...callbackCounts.ironic],
    dynamoDb: [...startCounts.dynamoDb, ...callbackCounts.dynamoDb],
    s3: [...startCounts.s3, ...callbackCounts.s3],
  };
  const total = (c: Counts) => c.reduce((n, [, v]) => n + v, 0) / N;
  const per = (c: Counts): Counts => c.map(([k, v]) => [k, v / N]);
  return {
    clients,
    logging: stack.logging,
    startRate: starts.rate,
    startMs: starts.latencies,
    callbackRate: callbacks.rate,
    callbackMs: callbacks.latencies,
    cpuPerStart: (u1.cpuMs - u0.cpuMs) / N,
    cpuPerCallback: (u2.cpuMs - u1.cpuMs) / N,
    systemShare: (u2.systemMs - u0.systemMs) / (u2.cpuMs - u0.cpuMs),
    phases: {
      start: [total(startCounts.ironic), total(startCounts.dynamoDb), total(startCounts.s3)],
      callback: [total(callbackCounts.ironic), total(callbackCounts.dynamoDb), total(callbackCounts.s3)],
    },
    perIntrospection: {
      ironic: total(counts.ironic),
      dynamoDb: total(counts.dynamoDb),
      s3: total(counts.s3),
      logLines: logLines / N,
    },
    counts,
    ironicPhases: { start: per(startCounts.ironic), callback: per(callbackCounts.ironic) },
  };
}

/** `count` finished introspections written straight into the store (as add_node and finish would). */
async function seed(store: NodeStore, count: number): Promise<void> {
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
      const bmc = { rowId: newRowId(startedAt), name: 'bmc_address', value: `203.0.113.${i % 250}` };
      await store.replaceNode(record, [bmc], null);
    },
  );
}

/** The list of 50 and of `LIST_SIZE` (seeded), and a lookup miss: p50 and DynamoDB requests. */
async function listsAndMiss(stack: Stack): Promise<Record<string, string>> {
  const list = async (limit: number, samples: number) => {
    const times: number[] = [];
    await stack.counts();
    for (let i = 0; i < samples; i++) {
      times.push(await timed(() => fetch(`${stack.url}/v1/introspection?limit=${limit}`), 200, 'list'));
    }
    const requests = (await stack.counts()).dynamoDb.reduce((n, [, v]) => n + v, 0) / samples;
    return `${quantile(times, 0.5).toFixed(1)} ms (${requests.toFixed(0)} DynamoDB requests)`;
  };
  const list50 = await list(50, 20);
  let listMany: string | undefined;
  if (LIST_SIZE > 0) {
    await seed(stack.store, LIST_SIZE);
    listMany = await list(LIST_SIZE, 10);
  }
  const miss = JSON.stringify(sampleCallback(['52:54:ff:ff:ff:01', '52:54:ff:ff:ff:02'], '192.0.2.254'));
  const misses: number[] = [];
  for (let i = 0; i < 20; i++) {
    misses.push(
      await timed(
        () => fetch(`${stack.url}/v1/continue`, { method: 'POST', body: miss }),
        400,
        'lookup miss',
      ),
    );
  }
  const answer: Record<string, string> = { list50, miss: `${quantile(misses, 0.5).toFixed(1)} ms` };
  if (listMany !== undefined) answer.listMany = listMany;
  return answer;
}

/** A callback round (1 client) under the CPU profiler, summarised with `cpuPerCallback` (unprofiled). */
async function profileCallbacks(
  stack: Stack,
  ironicUrl: string,
  enrolled: BenchNode[],
  cpuPerCallback: number,
): Promise<string> {
  const count = Math.min(N, 20);
  const nodes = await enrollNodes(ironicUrl, count, `bench-${runId}-prof`);
  enrolled.push(...nodes);
  const bodies = nodes.map((n) => JSON.stringify(sampleCallback(n.macs, n.bmc)));
  await round(stack, nodes, 1, startOne(stack), 'waiting');
  const dir = resolve(root, '.data', 'bench');
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, 'callback.cpuprofile');
  await stack.request('profile-start');
  await round(stack, nodes, 1, callbackOne(stack, bodies), 'finished');
  await stack.request('profile-stop', { path });
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const summary = summariseProfile(profile, {
    units: count,
    unit: 'callback',
    cpuMs: cpuPerCallback * count,
  });
  return `${summary}\n\n(profile of ${count} callbacks: ${path}; open it in Chrome DevTools or speedscope)`;
}

async function main() {
  const loadBefore = loadavg();
  console.log(
    `bench:lifecycle: ${N} nodes, clients ${CLIENTS.join(' and ')}, logging ${LOGGING}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}${process.env.BENCH_NOTE ? ` (${process.env.BENCH_NOTE})` : ''}`,
  );
  const ironic = await ensureIronic(IRONIC_PORT);
  console.log(
    `Ironic at ${ironic.url} (${ironic.reused ? 'reused, already answering' : 'started for this run'})`,
  );
  let capacity: { table: string; serialMs: SerialCost } | undefined;
  if (CAPACITY) {
    capacity = await ironicCapacity(ironic.url, 16, `bench-${runId}-cap`);
    console.log(`\nWhat Ironic carries by itself (16 nodes, straight to Ironic):\n${capacity.table}\n`);
  }
  const services = await startLocalServices({ buckets: [BUCKET] });
  const stacks: Stack[] = [];
  const enrolled: BenchNode[] = [];
  const results: RunResult[] = [];
  const failures: string[] = [];
  const once: Record<string, string> = {};
  let profileSummary: string | undefined;
  try {
    for (const logging of LOGGING === 'both' ? [true, false] : [LOGGING !== 'off']) {
      stacks.push(await startStack(logging, ironic.url, services));
    }
    for (const [i, clients] of CLIENTS.entries()) {
      // on, off, then off, on: a drifting machine load does not favour either.
      for (const stack of i % 2 === 0 ? stacks : [...stacks].reverse()) {
        const label = `logging ${stack.logging ? 'on ' : 'off'}, ${clients} client(s)`;
        try {
          const r = await run(stack, ironic.url, clients, enrolled);
          results.push(r);
          console.log(
            `  ${label}: starts ${r.startRate.toFixed(1)}/s, callbacks ${r.callbackRate.toFixed(1)}/s, CPU ${r.cpuPerStart.toFixed(1)} ms/start, ${r.cpuPerCallback.toFixed(1)} ms/callback`,
          );
        } catch (err) {
          // One failed run (e.g. a request refused under load) does not cost the others.
          failures.push(`${label}: ${String(err)}`);
          console.log(`  ${label}: FAILED: ${String(err)}`);
        } finally {
          await deleteNodes(ironic.url, enrolled).catch(() => undefined);
          enrolled.splice(0);
        }
      }
    }
    const main = stacks[0] as Stack;
    const single = results.find((r) => r.logging === main.logging && r.clients === Math.min(...CLIENTS));
    if (PROFILE && single !== undefined) {
      profileSummary = await profileCallbacks(main, ironic.url, enrolled, single.cpuPerCallback);
      await deleteNodes(ironic.url, enrolled);
      enrolled.splice(0);
    }
    Object.assign(once, await listsAndMiss(main));
    const logged = stacks.find((s) => s.logging);
    if (logged !== undefined) {
      const { cpuMsPerLine } = await logged.request<{ cpuMsPerLine: number }>('log-cost', { lines: 2000 });
      once.logLineUs = (cpuMsPerLine * 1000).toFixed(1);
    }
    for (const stack of stacks) {
      const mem = await stack.usage();
      const peak = memoryOf(stack.pid)?.peak;
      once[stack.logging ? 'memory' : 'memoryQuiet'] =
        `node ${(mem.rss / 1048576).toFixed(0)} MB (peak ${peak?.toFixed(0) ?? '?'} MB)`;
    }
    const dynamo = memoryOf(services.dynamoDbPid);
    once.dynamoDbMemory = `${dynamo?.rss.toFixed(0) ?? '?'} MB (peak ${dynamo?.peak.toFixed(0) ?? '?'} MB)`;
  } finally {
    if (enrolled.length > 0) await deleteNodes(ironic.url, enrolled).catch(() => undefined);
    for (const stack of stacks) await stack.stop();
    await services.stop();
    ironic.stop();
  }
  report(results, once, loadBefore, profileSummary);
  if (capacity !== undefined && results.length > 0) {
    const r = results[results.length - 1] as RunResult;
    console.log(
      `\nIronic's ceiling for this request mix (its serial time per request above): starts ${ceilingPerSecond(capacity.serialMs, r.ironicPhases.start).toFixed(1)}/s, callbacks ${ceilingPerSecond(capacity.serialMs, r.ironicPhases.callback).toFixed(1)}/s`,
    );
    console.log(`\n${capacity.table}`);
  }
  if (failures.length > 0) {
    console.log(
      `\nFailed runs (their figures are missing above):\n${failures.map((f) => `  ${f}`).join('\n')}`,
    );
    process.exitCode = 1;
  }
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
  const fmt = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));
  const many = Math.max(...CLIENTS);
  const one = Math.min(...CLIENTS);
  const m = main(many);
  const s = main(one);
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');

  console.log(
    `\nLoad average before ${load(loadBefore)}, after ${load(loadavg())} (2 cores shared with other work: wall-clock figures move with it; CPU ms less so)\n`,
  );
  const rows: string[][] = [
    [`starts, ${many} clients (nodes/s until all waiting)`, '5.3–7.4', '4.9–5.3', '≥ 12', fmt(m?.startRate)],
    [`start request, ${many} clients, p50`, '465–607 ms', '977–1,018 ms', '', ms(m?.startMs)],
    [
      `callbacks, ${many} clients (nodes/s until all finished)`,
      '3.6–4.1',
      '3.7–3.9',
      '≥ 8',
      fmt(m?.callbackRate),
    ],
    [`callback request, ${many} clients, p50`, '–', '–', '', ms(m?.callbackMs)],
    ['one callback at a time, p50', '259–312 ms', '267–274 ms', '≤ 130 ms', ms(s?.callbackMs)],
    ['callbacks, one at a time (nodes/s)', '–', '–', '', fmt(s?.callbackRate)],
    ['start request, one at a time, p50', '115–150 ms', '129–136 ms', '', ms(s?.startMs)],
    ['starts, one at a time (nodes/s)', '–', '–', '', fmt(s?.startRate)],
    ['list of 50 introspections, p50', '3.5–5.7 ms', '10.6–12.8 ms', '', once.list50 ?? '–'],
    ...(LIST_SIZE > 0
      ? [[`list of ${LIST_SIZE} introspections, p50`, '30–60 ms', '–', '≤ 30–60 ms', once.listMany ?? '–']]
      : []),
    ['lookup miss (`/v1/continue`, 400), p50', '51 ms', '7–9 ms', '', once.miss ?? '–'],
    ['Ironic requests per introspection', '12', '12', '≤ 8', fmt(m?.perIntrospection.ironic)],
    ['DynamoDB requests per introspection', '–', '–', '', fmt(m?.perIntrospection.dynamoDb)],
    ['S3 requests per introspection', '–', '–', '', fmt(m?.perIntrospection.s3)],
    [`stack CPU per start (${one} client)`, '–', '–', '', `${fmt(s?.cpuPerStart)} ms`],
    [`stack CPU per callback (${one} client)`, '–', '–', '', `${fmt(s?.cpuPerCallback)} ms`],
    [
      'log lines per introspection',
      '–',
      '~15 lines of JSON per event',
      'one per event',
      fmt(m?.perIntrospection.logLines),
    ],
    [
      'memory (RSS)',
      '150 MB',
      'node 180 MB (+ DynamoDB Local 240–370 MB)',
      '',
      `${once.memory ?? once.memoryQuiet ?? '–'} + DynamoDB Local ${once.dynamoDbMemory ?? '?'}`,
    ],
  ];
  console.log(
    formatTable(
      ['figure', 'ironic-inspector 11.1.0', '`npm start` before (issue)', 'goal', 'this run'],
      rows,
    ),
  );

  console.log(
    '\nEvery run (stack CPU: user + system time of the stack process, per node; "of it kernel": the system\ntime, mostly loopback TCP to DynamoDB Local, s3rver and Ironic):\n',
  );
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
        'of it kernel',
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
        `${(100 * r.systemShare).toFixed(0)}%`,
        r.perIntrospection.ironic.toFixed(1),
        r.perIntrospection.dynamoDb.toFixed(1),
        r.perIntrospection.s3.toFixed(1),
        r.perIntrospection.logLines.toFixed(1),
      ]),
      'lrrrrrrrrrrrr',
    ),
  );

  const on = results.filter((r) => r.logging);
  const off = results.filter((r) => !r.logging);
  const cpu = (rs: RunResult[]) => rs.reduce((n, r) => n + r.cpuPerStart + r.cpuPerCallback, 0) / rs.length;
  console.log('\nWhat logging costs (goal: under 5%):');
  if (on.length > 0 && off.length > 0) {
    const cost = (100 * (cpu(on) - cpu(off))) / cpu(off);
    console.log(
      `  stack CPU per introspection, runs with logging vs without: ${cpu(on).toFixed(1)} ms vs ${cpu(off).toFixed(1)} ms, ${cost >= 0 ? '+' : ''}${cost.toFixed(1)}% (the difference of two noisy figures)`,
    );
  }
  if (once.logLineUs !== undefined && on.length > 0) {
    const lines = on.reduce((n, r) => n + r.perIntrospection.logLines, 0) / on.length;
    const perIntrospection = (lines * Number(once.logLineUs)) / 1000;
    console.log(
      `  one log line costs ${once.logLineUs} µs of CPU; ${lines.toFixed(1)} lines per introspection = ${perIntrospection.toFixed(2)} ms, ${((100 * perIntrospection) / cpu(on)).toFixed(2)}% of the stack's CPU per introspection`,
    );
  }
  if (once.memoryQuiet !== undefined && once.memory !== undefined) {
    console.log(`  memory: ${once.memory} with logging, ${once.memoryQuiet} without`);
  }

  const sum = (pick: (r: RunResult) => Counts) => {
    const all = new Map<string, number>();
    for (const r of results) for (const [k, v] of pick(r)) all.set(k, (all.get(k) ?? 0) + v);
    const introspections = results.length * N;
    return [...all]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${(v / introspections).toFixed(2)}`)
      .join(', ');
  };
  const phase = (pick: (r: RunResult) => number[]) =>
    ['Ironic', 'DynamoDB', 'S3']
      .map(
        (name, i) =>
          `${name} ${(results.reduce((n, r) => n + (pick(r)[i] ?? 0), 0) / results.length).toFixed(1)}`,
      )
      .join(', ');
  console.log('\nRequests per introspection, all runs (start to finished):');
  console.log(`  start round (to waiting): ${phase((r) => r.phases.start)}`);
  console.log(`  callback round (to finished): ${phase((r) => r.phases.callback)}`);
  console.log(`  Ironic: ${sum((r) => r.counts.ironic)}`);
  console.log(`  DynamoDB: ${sum((r) => r.counts.dynamoDb)}`);
  console.log(`  S3: ${sum((r) => r.counts.s3)}`);
  if (profileSummary !== undefined) console.log(`\n${profileSummary}`);
}

await main();

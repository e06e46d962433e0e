/**
 * `npm run bench:auth`: what password guessing does to the public routes. The local stack runs with
 * `API_AUTH_STRATEGY=http_basic` (one bcrypt htpasswd entry); the benchmark prints the median latency
 * of the public `GET /v1` idle, then while 100 wrong passwords are sent to a protected route 8 at a
 * time:
 *
 * - from one address (the attack as it was reported: 96 wrong passwords pushed `GET /v1` from 2.9 ms
 *   to 871 ms median, bcrypt blocking the event loop on every one);
 * - from 100 addresses (one guess each), which the per-source budget cannot slow down: every guess
 *   is a real bcrypt check, in the authorizer's own thread (at a lower CPU priority than the api).
 *
 * Each scenario runs `BENCH_ROUNDS` (3) rounds of: `BENCH_IDLE_SAMPLES` (100) idle timings, then a
 * round of guesses with `GET /v1` timed throughout; the medians are over the pooled samples. The
 * clients run in their own threads, so their work is not charged to the stack.
 *
 * Options: `BENCH_BCRYPT_COST` (default 5, what `htpasswd -B` writes unless given `-C`),
 * `BENCH_ROUNDS`, `BENCH_IDLE_SAMPLES`. Loopback figures, printed with the machine's load average:
 * compare them with each other, not with AWS (where the authorizer is a function of its own).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { startLocalStack } from '../scripts/local-stack.ts';

const COST = Number(process.env.BENCH_BCRYPT_COST ?? 5);
const IDLE_SAMPLES = Number(process.env.BENCH_IDLE_SAMPLES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GUESSES = 100;
const CONCURRENCY = 8;

const dir = mkdtempSync(join(tmpdir(), 'bench-auth-'));
const htpasswd = join(dir, 'htpasswd');
writeFileSync(htpasswd, `operator:${bcrypt.hashSync('the right password', COST).replace('$2b$', '$2y$')}\n`);

const stack = await startLocalStack({
  port: 0,
  cleanUpPeriodSeconds: 0,
  env: {
    API_AUTH_STRATEGY: 'http_basic',
    HTPASSWD_FILE: htpasswd,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    INTROSPECTION_DELAY: '0',
    NODE_CACHE_TABLE: `bench-auth-${Date.now()}`,
  },
});
const { port } = new URL(stack.url);

/**
 * The clients run in threads of their own, so that their work is not charged to the stack's event
 * loop: `sample` times sequential `GET /v1` until told to stop (or `count` times); `guess` sends the
 * wrong passwords, `concurrency` at a time, each from its source address, over keep-alive
 * connections (one pool per address).
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, request } = require('node:http');
const { performance } = require('node:perf_hooks');
const { port, role, count, guesses, concurrency, sources } = workerData;
const agents = new Map();
const agentFor = (localAddress) => {
  if (!agents.has(localAddress)) agents.set(localAddress, new Agent({ keepAlive: true, maxSockets: concurrency, localAddress }));
  return agents.get(localAddress);
};
const call = (path, headers, localAddress) => new Promise((resolve, reject) => {
  const started = performance.now();
  const req = request({ host: '127.0.0.1', port, path, headers, agent: agentFor(localAddress) }, (res) => {
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
  });
  req.on('error', reject);
  req.end();
});
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  if (role === 'sample') {
    const samples = [];
    while (!stop && (count === 0 || samples.length < count)) samples.push((await call('/v1', {}, '127.0.0.1')).ms);
    parentPort.postMessage({ samples });
  } else {
    const statuses = {};
    let next = 0;
    const started = performance.now();
    const guesser = async () => {
      for (let i = next++; i < guesses; i = next++) {
        const credentials = Buffer.from('operator:wrong guess ' + i).toString('base64');
        const { status } = await call('/v1/introspection', { Authorization: 'Basic ' + credentials }, sources[i % sources.length]);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, guesser));
    parentPort.postMessage({ statuses, seconds: (performance.now() - started) / 1000 });
  }
  for (const agent of agents.values()) agent.destroy();
})();
`;

interface Client<T> {
  readonly result: Promise<T>;
  stop(): void;
}

function client<T>(data: Record<string, unknown>): Client<T> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { port: Number(port), ...data } });
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', (message: T) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  return { result, stop: () => worker.postMessage('stop') };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const p95 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? Number.NaN;
};

/** `count` sequential `GET /v1` timings with nothing else going on. */
async function idleSamples(count: number): Promise<number[]> {
  return (await client<{ samples: number[] }>({ role: 'sample', count }).result).samples;
}

/** `GET /v1` timings while one round of guesses runs, and what the guesses got. */
async function loadedRound(sources: string[]) {
  const sampler = client<{ samples: number[] }>({ role: 'sample', count: 0 });
  const load = await client<{ statuses: Record<string, number>; seconds: number }>({
    role: 'guess',
    guesses: GUESSES,
    concurrency: CONCURRENCY,
    sources,
  }).result;
  sampler.stop();
  return { ...load, samples: (await sampler.result).samples };
}

/**
 * Rounds of idle-then-loaded, pooled: the machine's own load moves on a scale of seconds, so each
 * loaded figure has an idle one taken just before it.
 */
async function scenario(name: string, sourcesOfRound: (round: number) => string[]): Promise<void> {
  const idle: number[] = [];
  const loaded: number[] = [];
  const statuses = new Map<string, number>();
  let seconds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    idle.push(...(await idleSamples(IDLE_SAMPLES)));
    const result = await loadedRound(sourcesOfRound(round));
    loaded.push(...result.samples);
    seconds += result.seconds;
    for (const [status, n] of Object.entries(result.statuses))
      statuses.set(status, (statuses.get(status) ?? 0) + n);
  }
  const ratio = median(loaded) / median(idle);
  const guesses = GUESSES * ROUNDS;
  console.log(`\n${name} (${ROUNDS} rounds of ${GUESSES} wrong passwords, ${CONCURRENCY} at a time)`);
  console.log(
    `  guesses: ${(guesses / seconds).toFixed(1)}/s, answers ${[...statuses].map(([status, n]) => `${n}×${status}`).join(', ')}`,
  );
  console.log(
    `  GET /v1 idle:        median ${median(idle).toFixed(2)} ms, p95 ${p95(idle).toFixed(2)} ms (${idle.length} samples)`,
  );
  console.log(
    `  GET /v1 under load:  median ${median(loaded).toFixed(2)} ms, p95 ${p95(loaded).toFixed(2)} ms (${loaded.length} samples)`,
  );
  console.log(
    `  median under load / idle: ${ratio.toFixed(2)}× (${ratio <= 2 ? 'within' : 'NOT within'} 2×)`,
  );
}

try {
  const oneCheck = performance.now();
  bcrypt.compareSync('x', bcrypt.hashSync('y', COST));
  console.log(
    `Local stack, http_basic, one bcrypt entry of cost ${COST} (one check ≈ ${((performance.now() - oneCheck) / 2).toFixed(0)} ms here); AUTH_FAILURES_PER_MINUTE 10; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} CPUs`,
  );
  await idleSamples(50); // warm up
  // Each round from a fresh address, so each starts with a whole budget.
  await scenario('Guessing from one address', (round) => [`127.0.0.${round + 1}`]);
  await scenario('Guessing from 100 addresses, one guess each', (round) =>
    Array.from({ length: GUESSES }, (_, i) => `127.0.${round + 1}.${i + 1}`),
  );
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}

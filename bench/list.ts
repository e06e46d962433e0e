/**
 * `npm run bench:list`: `GET /v1/introspection` through the real api handler (`createApiHandler`) on a
 * runtime on DynamoDB Local (started here), with `BENCH_LIST` (1,000) finished introspections and 50
 * more in other states written straight into the store, as `bench:lifecycle` seeds its list.
 *
 * Printed, for the list of `BENCH_LIST` and of 50 (`?limit=`): p50/p90 of the handler's wall time,
 * the CPU time per list of this process and of DynamoDB Local (steadier than wall time on a shared
 * machine), DynamoDB requests and response bytes per list, and the layers below the handler timed on
 * their own (same pages): the store's `listNodes` and the node cache's `getNodeList` (NodeInfos); the
 * handler adds the status bodies, the JSON and the middlewares.
 *
 * Options: `BENCH_LIST` (1000), `BENCH_SAMPLES` (30), `BENCH_STATE` (a `state` filter, e.g.
 * `finished,error`; none by default), `BENCH_PROFILE=1` (the list of `BENCH_LIST` once more, under
 * V8's CPU profiler: where this process's time goes, per list).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { createApiHandler } from '#functions/api.ts';
import { loadConfig } from '#lib/config.ts';
import { newRowId } from '#lib/domain/lookup-attributes.ts';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import { silentLogger } from '#lib/ports/logger.ts';
import { noMetrics } from '#lib/ports/metrics.ts';
import type { NodeRecord } from '#lib/ports/node-store.ts';
import { type AwsClients, createRuntime } from '#lib/runtime.ts';
import { apiGatewayEvent } from '#test/support/api-gateway-event.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { LOCAL_CREDENTIALS, startLocalServices } from '../scripts/local-services.ts';
import { recordCommands } from '../scripts/request-counter.ts';
import { type CpuProfile, summariseProfile } from './support/cpu-profile.ts';
import { formatTable, quantile } from './support/table.ts';

const LIST_SIZE = Number(process.env.BENCH_LIST ?? 1000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const STATE_FILTER = process.env.BENCH_STATE;
const PROFILE = process.env.BENCH_PROFILE === '1';
const BUCKET = 'bench-introspection-data';
/** The other states the 50 extra records are spread over (the merge reads several partitions). */
const OTHER_STATES: readonly IntrospectionState[] = ['error', 'waiting', 'processing', 'starting'];

process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;

/** CPU time (ms) DynamoDB Local's process has used so far; NaN where /proc cannot tell. */
function dynamoDbCpuMs(pid: number | undefined): number {
  try {
    // /proc/<pid>/stat: utime and stime are the 14th and 15th fields, in clock ticks (100 per second).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Wall times of `samples` runs of `op` after 3 warm-up runs, and the mean CPU ms per run of both sides. */
async function times(
  samples: number,
  op: () => Promise<unknown>,
): Promise<{ wall: number[]; cpu: number; dynamoDbCpu: number }> {
  for (let i = 0; i < 3; i++) await op();
  const wall: number[] = [];
  const cpu0 = process.cpuUsage();
  const dynamoDb0 = dynamoDbCpuMs(services.dynamoDbPid);
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await op();
    wall.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wall,
    cpu: (cpu.user + cpu.system) / 1000 / samples,
    dynamoDbCpu: (dynamoDbCpuMs(services.dynamoDbPid) - dynamoDb0) / samples,
  };
}

const ms = (values: readonly number[]) =>
  `${quantile(values, 0.5).toFixed(1)} / ${quantile(values, 0.9).toFixed(1)}`;

const services = await startLocalServices({ buckets: [BUCKET] });
try {
  const config = loadConfig({
    NODE_CACHE_TABLE: `bench-list-${randomUUID().slice(0, 8)}`,
    INTROSPECTION_DATA_BUCKET: BUCKET,
    DYNAMODB_ENDPOINT: services.dynamoDbEndpoint,
    S3_ENDPOINT: services.s3Endpoint,
  });
  const runtime = createRuntime({ config, logger: silentLogger, metrics: noMetrics, ironic: null });
  const clients = runtime.clients as AwsClients;
  await runtime.createTable();

  // LIST_SIZE finished introspections a day old, one a second, and 50 newer ones in other states.
  const now = Date.now();
  const total = LIST_SIZE + 50;
  let next = 0;
  const fill = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const extra = i >= LIST_SIZE;
      const startedAt = new Date(extra ? now - (i - LIST_SIZE) * 1000 : now - 86_400_000 - i * 1000);
      const state: IntrospectionState = extra
        ? (OTHER_STATES[i % OTHER_STATES.length] as IntrospectionState)
        : 'finished';
      const record: NodeRecord = {
        uuid: randomUUID(),
        versionId: randomUUID(),
        state,
        startedAt,
        finishedAt: state === 'finished' || state === 'error' ? new Date(startedAt.getTime() + 60_000) : null,
        error: state === 'error' ? 'Timeout waiting for node' : null,
        manageBoot: true,
      };
      const bmc = { rowId: newRowId(startedAt), name: 'bmc_address', value: `203.0.113.${i % 250}` };
      await runtime.stores.nodes.replaceNode(record, [bmc], null);
    }
  };
  await Promise.all(Array.from({ length: 16 }, fill));

  const api = createApiHandler(runtime);
  const commands = recordCommands(clients.dynamoDb);
  const states = STATE_FILTER === undefined ? STATES : (STATE_FILTER.split(',') as IntrospectionState[]);
  const rows: string[][] = [];
  for (const limit of [LIST_SIZE, 50]) {
    const query = `limit=${limit}${STATE_FILTER === undefined ? '' : `&state=${STATE_FILTER}`}`;
    let bytes = 0;
    let count = 0;
    const list = async () => {
      const answer = await api(apiGatewayEvent('GET', '/v1/introspection', { query }), lambdaContext('api'));
      if (answer.statusCode !== 200) throw new Error(`list: HTTP ${answer.statusCode} ${answer.body}`);
      bytes = answer.body.length;
      count = (JSON.parse(answer.body) as { introspection: unknown[] }).introspection.length;
    };
    commands.length = 0;
    await list();
    const requests = commands.length;
    const store = await times(SAMPLES, () => runtime.stores.nodes.listNodes({ states, limit }));
    const cache = await times(SAMPLES, () => runtime.nodeCache.getNodeList({ limit, state: states }));
    const handler = await times(SAMPLES, list);
    rows.push([
      `list of ${count}`,
      ms(handler.wall),
      `${handler.cpu.toFixed(1)} + ${handler.dynamoDbCpu.toFixed(1)}`,
      String(requests),
      `${(bytes / 1024).toFixed(0)} KB`,
      ms(store.wall),
      ms(cache.wall),
    ]);
  }
  console.log(
    formatTable(
      [
        'GET /v1/introspection',
        'handler p50 / p90 ms',
        'CPU ms: node + DynamoDB Local',
        'DynamoDB requests',
        'body',
        'listNodes p50 / p90',
        'getNodeList p50 / p90',
      ],
      rows,
      'lrrrrrr',
    ),
  );
  if (PROFILE) {
    const query = `limit=${LIST_SIZE}${STATE_FILTER === undefined ? '' : `&state=${STATE_FILTER}`}`;
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < SAMPLES; i++)
      await api(apiGatewayEvent('GET', '/v1/introspection', { query }), lambdaContext('api'));
    const cpu = process.cpuUsage(cpu0);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    console.log(
      `\n${summariseProfile(profile as unknown as CpuProfile, {
        units: SAMPLES,
        unit: 'list',
        cpuMs: (cpu.user + cpu.system) / 1000,
        top: 20,
      })}`,
    );
  }
  const [one, five] = loadavg();
  console.log(
    `\n${SAMPLES} samples each after 3 warm-up runs; DynamoDB Local on loopback, Node ${process.version}, ` +
      `load average ${one?.toFixed(2)} / ${five?.toFixed(2)}${STATE_FILTER === undefined ? '' : `, state=${STATE_FILTER}`}.`,
  );
  runtime.close();
} finally {
  await services.stop();
}

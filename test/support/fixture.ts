/**
 * A node cache on a fresh DynamoDB Local table and the shared s3rver bucket, with a clock tests can
 * move forward and a logger that records what was logged.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createNodeCacheFromConfig, type NodeCacheRuntime } from '#lib/adapters/aws.ts';
import { createNodeCacheTable } from '#lib/adapters/dynamodb/table.ts';
import { type InspectorConfig, loadConfig } from '#lib/config.ts';
import { NodeCache } from '#lib/node-cache.ts';
import type { NodeCacheDeps, NodeStores as NodeStore } from '#lib/node-info.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

export { recordCommands } from '../../scripts/request-counter.ts';

/** Real time plus an offset the test can move forward. */
export class TestClock {
  offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown> | undefined;
}

/** Keeps every line, for assertions on warnings. */
export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];
  debug(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, extra });
  }
  messages(level: LogLine['level']): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.message);
  }
}

export interface Fixture extends NodeCacheRuntime {
  readonly config: InspectorConfig;
  readonly clock: TestClock;
  readonly logger: RecordingLogger;
  /** Another NodeCache on the same table (another "process"), with its own deps overrides. */
  another(overrides?: Partial<NodeCacheDeps>): NodeCache;
}

export async function nodeCacheFixture(
  env: Record<string, string> = {},
  options: { ironic?: IronicApi | null } = { ironic: null },
): Promise<Fixture> {
  const config = loadConfig({
    NODE_CACHE_TABLE: `node-cache-${randomUUID()}`,
    INTROSPECTION_DATA_BUCKET: inject('introspectionDataBucket'),
    DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
    S3_ENDPOINT: inject('s3Endpoint'),
    AWS_REGION: 'us-east-1',
    ...env,
  });
  const clock = new TestClock();
  const logger = new RecordingLogger();
  const runtime = createNodeCacheFromConfig(config, logger, { now: clock.now, ...options });
  await createNodeCacheTable(runtime.dynamoDb, config.nodeCacheTable);
  return {
    ...runtime,
    config,
    clock,
    logger,
    another: (overrides = {}) => new NodeCache({ ...runtime.deps, ...overrides }),
  };
}

/** A random node UUID. */
export const newUuid = (): string => randomUUID();

/** The store with some methods replaced (the rest bound to the real one). */
export function overrideStore(store: NodeStore, overrides: Partial<NodeStore>): NodeStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof NodeStore];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A node cache for one test, built by the composition root: on in-memory stores (the default, fast)
 * or on DynamoDB Local and s3rver (a fresh table, the shared bucket), with its own clock tests can
 * move and its own logger that records what was logged. Create one per test (`beforeEach` or inside
 * the test), so no clock offset or log line leaks from one test into another.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { memoryStores } from '#lib/adapters/memory/stores.ts';
import { type InspectorConfig, loadConfig } from '#lib/config.ts';
import { NodeCache, type NodeCacheOptions } from '#lib/node/node-cache.ts';
import { NodeInfo } from '#lib/node/node-info.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import { noMetrics } from '#lib/ports/metrics.ts';
import type { NodeStore } from '#lib/ports/node-store.ts';
import type { Stores } from '#lib/ports/stores.ts';
import { type AwsClients, createRuntime, type InspectorRuntime } from '#lib/runtime.ts';

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

/** What another node cache on the same stores ("another process") may change. */
export interface OtherCache {
  readonly nodes?: NodeStore;
  readonly lockWaitMs?: number;
  readonly now?: () => Date;
}

export interface Fixture {
  readonly config: InspectorConfig;
  readonly runtime: InspectorRuntime;
  readonly nodeCache: NodeCache;
  readonly stores: Stores;
  /** What the node cache and its NodeInfos are built with. */
  readonly options: NodeCacheOptions;
  /** The SDK clients, on DynamoDB Local and s3rver. */
  readonly clients: AwsClients | undefined;
  readonly clock: TestClock;
  readonly logger: RecordingLogger;
  /** Another NodeCache on the same stores (another "process"), with some settings changed. */
  another(changes?: OtherCache): NodeCache;
}

/** Where a fixture's stores live. */
export type FixtureStores = 'memory' | 'local-services';

/** A node cache for one test; see the module comment. */
export async function nodeCacheFixture(
  options: { env?: Record<string, string>; ironic?: IronicApi | null; stores?: FixtureStores } = {},
): Promise<Fixture> {
  const onServices = options.stores === 'local-services';
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    ...(onServices
      ? {
          NODE_CACHE_TABLE: `node-cache-${randomUUID()}`,
          INTROSPECTION_DATA_BUCKET: inject('introspectionDataBucket'),
          DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
          S3_ENDPOINT: inject('s3Endpoint'),
        }
      : {}),
    ...options.env,
  });
  const clock = new TestClock();
  const logger = new RecordingLogger();
  const runtime = createRuntime({
    config,
    stores: onServices ? 'aws' : 'memory',
    ironic: options.ironic ?? null,
    logger,
    metrics: noMetrics,
    now: clock.now,
  });
  await runtime.createTable();
  const { nodeCache } = runtime;
  return {
    config,
    runtime,
    nodeCache,
    stores: runtime.stores,
    options: nodeCache.options,
    clients: runtime.clients,
    clock,
    logger,
    another: (changes = {}) =>
      new NodeCache({
        ...nodeCache.options,
        ...(changes.nodes ? { nodes: changes.nodes } : {}),
        ...(changes.now ? { now: changes.now } : {}),
        lease: {
          ...nodeCache.options.lease,
          ...(changes.lockWaitMs !== undefined ? { lockWaitMs: changes.lockWaitMs } : {}),
        },
      }),
  };
}

/** A random node UUID. */
export const newUuid = (): string => randomUUID();

/** A store with some methods replaced (the rest bound to the real one). */
export function overrideStore<T extends object>(store: T, overrides: Partial<T>): T {
  return new Proxy(store, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof T];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A NodeInfo on fresh in-memory stores whose Ironic calls go to `ironic`: what processing hooks and
 * introspection rules are handed (they only use its Ironic operations).
 */
export function ironicNodeInfo(uuid: string, ironic: IronicApi, logger: Logger): NodeInfo {
  const stores = memoryStores();
  return new NodeInfo(
    {
      nodes: stores.nodes,
      lease: { leases: stores.leases, leaseMs: 60_000, lockWaitMs: 0 },
      ironic: { client: ironic, retryDelayMs: 1 },
      now: () => new Date(),
      logger,
    },
    { uuid },
  );
}

/**
 * The composition root: the one place that turns configuration into clients, stores, the node cache,
 * the queue and the use cases. The functions use the process's runtime ({@link runtime}, built on
 * first use and kept for the container's life); the local stack and the tests build their own with
 * {@link createRuntime}, on DynamoDB and S3 (or DynamoDB Local and s3rver by endpoint), on in-memory
 * stores, or on stores they pass.
 *
 * In AWS the worker's queue is SQS (`WORKER_QUEUE_URL`); without it (the local stack, tests) it is
 * the in-process queue, whose consumer the local stack sets to the worker handler.
 *
 * @example
 * ```ts
 * const rt = createRuntime({ config: loadConfig({}), stores: 'memory', ironic: fakeIronic });
 * await rt.useCases.start.start(uuid, { manageBoot: false });
 * ```
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbLookupFailureLimiter } from '#lib/adapters/dynamodb/lookup-failure-limiter.ts';
import { dynamoDbDocumentClient, dynamoDbStores } from '#lib/adapters/dynamodb/stores.ts';
import { createNodeCacheTable } from '#lib/adapters/dynamodb/table.ts';
import { InProcessJobQueue } from '#lib/adapters/in-process-job-queue.ts';
import { type IronicAuth, ironicAuth } from '#lib/adapters/ironic/auth.ts';
import { IronicClient } from '#lib/adapters/ironic/client.ts';
import {
  type LazyClient,
  lazyS3Client,
  lazyS3IntrospectionDataStore,
  lazySecretBackedIronicAuth,
  lazySqsJobQueue,
} from '#lib/adapters/lazy.ts';
import { InMemoryLookupFailureLimiter } from '#lib/adapters/memory/lookup-failure-limiter.ts';
import { memoryStores } from '#lib/adapters/memory/stores.ts';
import { type InspectorConfig, config as processConfig } from '#lib/config.ts';
import { ConfigurationError } from '#lib/domain/errors.ts';
import { createUseCases, type UseCases } from '#lib/introspection/use-cases.ts';
import { NodeCache } from '#lib/node/node-cache.ts';
import { logger as powertoolsLogger, metrics as powertoolsMetrics } from '#lib/observability.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { LookupFailureLimiter } from '#lib/ports/lookup-failure-limiter.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import type { Stores } from '#lib/ports/stores.ts';

/** What a runtime may be built with; everything has a default from the configuration. */
export interface RuntimeOptions {
  /** Default: the process's configuration (`process.env`). */
  readonly config?: InspectorConfig;
  /**
   * Where the node cache and the introspection data live: `aws` (the default: DynamoDB and S3 as the
   * configuration says, DynamoDB Local and s3rver when it gives their endpoints), `memory` (fresh
   * in-memory stores), or stores built by the caller.
   */
  readonly stores?: 'aws' | 'memory' | Stores;
  /** Default: the Ironic client for the configuration; null: no Ironic (node names cannot resolve). */
  readonly ironic?: IronicApi | null;
  /** Default: Powertools. */
  readonly logger?: Logger;
  /** Default: Powertools (EMF). */
  readonly metrics?: MetricsSink;
  /** The wall clock; tests move it. */
  readonly now?: () => Date;
  /** Default: SQS when `WORKER_QUEUE_URL` is set, else an in-process queue. */
  readonly queue?: JobQueue;
  /** Pause between an in-process job's failed run and its next delivery (default 1 s). */
  readonly jobRetryDelayMs?: number;
  /** Pause between retried Ironic calls (upstream: 1 s). */
  readonly ironicRetryDelayMs?: number;
  /**
   * Default: on the node cache table with `aws` stores (the budget holds across api containers), in
   * memory otherwise.
   */
  readonly lookupLimiter?: LookupFailureLimiter;
}

/** Everything the functions run on. */
export interface InspectorRuntime {
  readonly config: InspectorConfig;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly now: () => Date;
  readonly stores: Stores;
  readonly ironic: IronicApi | undefined;
  readonly nodeCache: NodeCache;
  readonly useCases: UseCases;
  readonly queue: JobQueue;
  /** Failed ramdisk callback lookups per source address. */
  readonly lookupLimiter: LookupFailureLimiter;
  /** Set when the queue is in-process (local stack, tests): its consumer is set by the caller. */
  readonly localQueue: InProcessJobQueue | undefined;
  /** The AWS SDK clients of `aws` stores (to create the table, count requests, or close them). */
  readonly clients: AwsClients | undefined;
  /** Create the node cache table (`aws` stores on DynamoDB Local; the stack creates it in AWS). */
  createTable(): Promise<void>;
  /** Close the SDK clients. */
  close(): void;
}

/**
 * The SDK clients behind `aws` stores. The S3 client is built (and `@aws-sdk/client-s3` loaded) when
 * introspection data is first stored, read or deleted: most invocations never need it.
 *
 * @example
 * ```ts
 * const s3Commands = recordCommands(await runtime.clients.s3.get()); // count S3 requests
 * ```
 */
export interface AwsClients {
  readonly dynamoDb: DynamoDBClient;
  readonly s3: LazyClient<S3Client>;
}

/** The DynamoDB and S3 clients for `config` (DynamoDB Local and s3rver when it gives endpoints). */
export function awsClients(config: InspectorConfig): AwsClients {
  return {
    dynamoDb: new DynamoDBClient({
      region: config.region,
      ...(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint }),
    }),
    s3: lazyS3Client({
      region: config.region,
      // Checksums only where S3 requires them: s3rver rejects the newer default trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.s3Endpoint === undefined ? {} : { endpoint: config.s3Endpoint, forcePathStyle: true }),
    }),
  };
}

/** The stores on DynamoDB and S3. */
export function awsStores(config: InspectorConfig, clients: AwsClients): Stores {
  return {
    ...dynamoDbStores({
      documentClient: dynamoDbDocumentClient(clients.dynamoDb),
      tableName: config.nodeCacheTable,
    }),
    introspectionData: lazyS3IntrospectionDataStore({
      s3: clients.s3.get,
      bucket: config.introspectionDataBucket,
    }),
  };
}

/**
 * How the Ironic client authenticates: no credentials, or a credentials document from the
 * environment (local) or from Secrets Manager (AWS).
 *
 * @throws ConfigurationError when an auth type is set without credentials
 */
export function ironicAuthFromConfig(config: InspectorConfig): IronicAuth {
  const { authType, credentials, credentialsSecretId } = config.ironic;
  if (authType === 'none') return ironicAuth('none', undefined);
  if (credentials !== undefined) return ironicAuth(authType, credentials);
  if (credentialsSecretId !== undefined) {
    return lazySecretBackedIronicAuth(config.region, credentialsSecretId, authType);
  }
  throw new ConfigurationError(
    `Invalid configuration: IRONIC_AUTH_TYPE is ${authType}, but neither IRONIC_CREDENTIALS nor IRONIC_CREDENTIALS_SECRET_ID is set`,
  );
}

/** The Ironic client for `config`. */
export function ironicClient(config: InspectorConfig, logger: Logger): IronicClient {
  return new IronicClient({
    url: config.ironic.url,
    auth: ironicAuthFromConfig(config),
    timeoutMs: config.ironic.timeoutSeconds * 1000,
    logger,
  });
}

/** Build a runtime. */
export function createRuntime(options: RuntimeOptions = {}): InspectorRuntime {
  const config = options.config ?? processConfig();
  const logger = options.logger ?? powertoolsLogger;
  const metrics = options.metrics ?? powertoolsMetrics;
  const now = options.now ?? (() => new Date());
  const clients = options.stores === undefined || options.stores === 'aws' ? awsClients(config) : undefined;
  const stores =
    clients !== undefined
      ? awsStores(config, clients)
      : options.stores === 'memory'
        ? memoryStores()
        : (options.stores as Stores);
  const ironic = options.ironic === null ? undefined : (options.ironic ?? ironicClient(config, logger));
  const nodeCache = new NodeCache({
    nodes: stores.nodes,
    lease: {
      leases: stores.leases,
      leaseMs: config.leaseSeconds * 1000,
      lockWaitMs: config.lockWaitSeconds * 1000,
    },
    ironic: {
      client: ironic,
      updatePxeEnabled: config.processing.updatePxeEnabled,
      retryDelayMs: options.ironicRetryDelayMs,
    },
    introspectionData: stores.introspectionData,
    now,
    logger,
    metrics,
    timeoutSeconds: config.timeoutSeconds,
    ipmiAddressFields: config.ipmiAddressFields,
  });
  const localQueue =
    options.queue === undefined && config.workerQueueUrl === undefined
      ? new InProcessJobQueue(logger, { retryDelayMs: options.jobRetryDelayMs ?? 1000 })
      : undefined;
  const queue: JobQueue =
    options.queue ?? localQueue ?? lazySqsJobQueue(config.region, config.workerQueueUrl as string);
  // Per minute: `LOOKUP_FAILURES_PER_MINUTE` failed lookups per source address (0: no limit).
  const limits = { failuresPerWindow: config.lookup.failuresPerMinute, windowSeconds: 60 };
  const nowMs = () => now().getTime();
  const lookupLimiter =
    options.lookupLimiter ??
    (clients !== undefined
      ? new DynamoDbLookupFailureLimiter(
          dynamoDbDocumentClient(clients.dynamoDb),
          config.nodeCacheTable,
          limits,
          nowMs,
        )
      : new InMemoryLookupFailureLimiter(limits, nowMs));
  const useCases = createUseCases({
    config,
    nodeCache,
    ironic,
    queue,
    powerSlots: stores.powerSlots,
    rules: stores.rules,
    now,
    logger,
    metrics,
    lookupLimiter,
    ironicRetryDelayMs: options.ironicRetryDelayMs,
  });
  return {
    config,
    logger,
    metrics,
    now,
    stores,
    ironic,
    nodeCache,
    useCases,
    queue,
    lookupLimiter,
    localQueue,
    clients,
    async createTable() {
      if (clients !== undefined) await createNodeCacheTable(clients.dynamoDb, config.nodeCacheTable);
    },
    close() {
      clients?.dynamoDb.destroy();
      clients?.s3.built?.destroy();
    },
  };
}

let shared: InspectorRuntime | undefined;

/** The process's runtime (one per Lambda container), built from the environment on first use. */
export function runtime(): InspectorRuntime {
  shared ??= createRuntime();
  return shared;
}

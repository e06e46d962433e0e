/**
 * The composition root: configuration, clients, adapters, the node cache and the inspector, built once
 * per process (one Lambda container, or the local stack) and shared by every handler invocation.
 *
 * In AWS the worker's queue is SQS (`WORKER_QUEUE_URL`); without it (the local stack, tests) it is
 * the in-process queue, whose consumer is the worker handler.
 *
 * @example
 * ```ts
 * const { inspector } = runtime();
 * await inspector.status(uuid);
 * ```
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createNodeCacheFromConfig, documentClient, type NodeCacheRuntime } from '#lib/adapters/aws.ts';
import { DynamoDbRuleStore } from '#lib/adapters/dynamodb/rule-store.ts';
import { InProcessJobQueue } from '#lib/adapters/in-process-job-queue.ts';
import { SqsJobQueue } from '#lib/adapters/sqs-job-queue.ts';
import { type InspectorConfig, config as loadProcessConfig } from '#lib/config.ts';
import { Inspector } from '#lib/introspection/inspector.ts';
import {
  type MetricsSink,
  logger as powertoolsLogger,
  metrics as powertoolsMetrics,
} from '#lib/observability.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';

export interface InspectorRuntime extends NodeCacheRuntime {
  readonly config: InspectorConfig;
  readonly inspector: Inspector;
  readonly queue: JobQueue;
  /** Set when the queue is in-process (local stack, tests). */
  readonly localQueue: InProcessJobQueue | undefined;
  readonly logger: Logger;
  /** Introspection rules (the node cache table). */
  readonly rules: RuleStore;
}

/** What tests and the local stack may replace. */
export interface RuntimeOverrides {
  readonly config?: InspectorConfig;
  readonly ironic?: IronicApi;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  readonly now?: () => Date;
  /** Pause between an in-process job's failed run and its next delivery. */
  readonly jobRetryDelayMs?: number;
  /** Pause between retried Ironic calls (upstream: 1 s). */
  readonly ironicRetryDelayMs?: number;
}

/** Build a runtime (the handlers share one through {@link runtime}). */
export function createRuntime(overrides: RuntimeOverrides = {}): InspectorRuntime {
  const config = overrides.config ?? loadProcessConfig();
  const logger = overrides.logger ?? powertoolsLogger;
  const metrics = overrides.metrics ?? powertoolsMetrics;
  const cache = createNodeCacheFromConfig(config, logger, {
    metrics,
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.ironic ? { ironic: overrides.ironic } : {}),
    ...(overrides.ironicRetryDelayMs !== undefined
      ? { ironicRetryDelayMs: overrides.ironicRetryDelayMs }
      : {}),
  });
  const { nodeCache, deps: cacheDeps } = cache;
  const localQueue =
    config.workerQueueUrl === undefined
      ? new InProcessJobQueue(logger, { retryDelayMs: overrides.jobRetryDelayMs ?? 1000 })
      : undefined;
  const queue: JobQueue =
    localQueue ?? new SqsJobQueue(new SQSClient({ region: config.region }), config.workerQueueUrl as string);
  const rules = new DynamoDbRuleStore(documentClient(cache.dynamoDb), config.nodeCacheTable);
  const inspector = new Inspector({ config, nodeCache, cacheDeps, queue, logger, metrics, rules });
  return { ...cache, config, inspector, queue, localQueue, logger, rules };
}

let shared: InspectorRuntime | undefined;
let pendingOverrides: RuntimeOverrides = {};

/** The process's runtime, built on first use. */
export function runtime(): InspectorRuntime {
  shared ??= createRuntime(pendingOverrides);
  return shared;
}

/** Replace parts of the process's runtime before first use (local stack, tests). */
export function configureRuntime(overrides: RuntimeOverrides): InspectorRuntime {
  pendingOverrides = overrides;
  shared = createRuntime(overrides);
  return shared;
}

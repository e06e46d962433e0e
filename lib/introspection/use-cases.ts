/**
 * Every use case of the inspector, built on one node cache, one Ironic, one queue and the settings:
 * what the api, worker and clean-up functions call. The job table (job type → handler) is declared
 * here, next to the use cases whose jobs it runs.
 *
 * @example
 * ```ts
 * const useCases = createUseCases({ config, nodeCache, ironic, queue, powerSlots, rules, now, logger, metrics });
 * await useCases.start.start('node-0', { manageBoot: true });
 * await useCases.jobs.run(job); // the worker
 * ```
 */
import type { InspectorConfig } from '#lib/config.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { AbortIntrospection, abortJob } from '#lib/introspection/abort.ts';
import { ContinueIntrospection } from '#lib/introspection/continue.ts';
import { finishJob } from '#lib/introspection/finish.ts';
import { JobRunner } from '#lib/introspection/job-runner.ts';
import type { JobTable } from '#lib/introspection/jobs.ts';
import { type NodeSummary, nodeSummaries } from '#lib/introspection/node-summaries.ts';
import { PeriodicTasks } from '#lib/introspection/periodic.ts';
import { processJob } from '#lib/introspection/process-job.ts';
import { currentPxeFilter } from '#lib/introspection/pxe-filter.ts';
import { IntrospectionReads } from '#lib/introspection/reads.ts';
import { ReapplyIntrospection, reapplyJob } from '#lib/introspection/reapply.ts';
import { Recovery } from '#lib/introspection/recovery.ts';
import { introspectJob, StartIntrospection } from '#lib/introspection/start.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { LookupFailureLimiter } from '#lib/ports/lookup-failure-limiter.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import { ProcessingPipeline } from '#lib/processing/pipeline.ts';
import type { PxeFilter } from '#lib/pxe-filter/pxe-filter.ts';
import type { RulesUseCases } from '#lib/rules/api.ts';
import { rulesUseCases } from '#lib/rules/lazy.ts';

/** What the use cases are built on. */
export interface UseCaseOptions {
  readonly config: InspectorConfig;
  readonly nodeCache: NodeCache;
  readonly ironic: IronicApi | undefined;
  readonly queue: JobQueue;
  readonly powerSlots: PowerSlots;
  /** Introspection rules: the `/v1/rules` API, and applied at the end of processing. */
  readonly rules: RuleStore;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** Failed ramdisk callback lookups per source address. */
  readonly lookupLimiter: LookupFailureLimiter;
  /** Pause between retried Ironic calls (upstream: 1 s; tests shorten it). */
  readonly ironicRetryDelayMs?: number | undefined;
}

/** The use cases, one per request kind, and the worker's job runner. */
export interface UseCases {
  readonly start: StartIntrospection;
  /** The ramdisk callback. */
  readonly continue: ContinueIntrospection;
  readonly abort: AbortIntrospection;
  readonly reapply: ReapplyIntrospection;
  readonly reads: IntrospectionReads;
  readonly periodic: PeriodicTasks;
  readonly jobs: JobRunner;
  /** `/v1/rules`. */
  readonly rules: RulesUseCases;
  /** Ironic's names and states of cached nodes, for the dashboard. */
  readonly nodeSummaries: (query: {
    uuids?: string[] | undefined;
    mac?: string | undefined;
  }) => Promise<NodeSummary[]>;
  /** The dnsmasq PXE filter: the MACs to allow and deny, and the policy for unknown MACs. */
  readonly pxeFilter: () => Promise<PxeFilter>;
}

/** Build every use case. */
export function createUseCases(options: UseCaseOptions): UseCases {
  const { config, nodeCache, ironic, queue, now, logger, metrics, rules } = options;
  const { processing } = config;
  const retryDelayMs = options.ironicRetryDelayMs ?? 1000;
  const leaseMs = config.leaseSeconds * 1000;
  const pipeline = new ProcessingPipeline({ ...processing, logger });
  const introspect = {
    ironic,
    logger,
    retryDelayMs,
    timeoutSeconds: config.timeoutSeconds,
    nodeNotFoundHook: processing.nodeNotFoundHook,
  };
  /** The worker's table: what each job type does. */
  const table: JobTable = {
    introspect: introspectJob(introspect),
    process: processJob({ ironic, logger, nodeCache, pipeline, rules, storeData: config.storeData }),
    finish: finishJob({ ironic, logger }),
    abort: abortJob({ ironic, logger, retryDelayMs }),
    reapply: reapplyJob({ nodeCache, pipeline, rules, logger, storeData: config.storeData }),
  };
  const jobs = new JobRunner({ table, nodeCache, queue, now, logger });
  return {
    start: new StartIntrospection({
      ...introspect,
      nodeCache,
      queue,
      powerSlots: options.powerSlots,
      now,
      introspectionDelaySeconds: config.introspectionDelaySeconds,
      ipmiAddressFields: config.ipmiAddressFields,
      permitActiveIntrospection: processing.permitActiveIntrospection,
    }),
    continue: new ContinueIntrospection({
      nodeCache,
      ironic,
      metrics,
      pipeline,
      rules,
      jobs,
      logger,
      storeData: config.storeData,
      powerOff: processing.powerOff,
      permitActiveIntrospection: processing.permitActiveIntrospection,
      nodeNotFoundHook: processing.nodeNotFoundHook,
      enrollNodeDriver: processing.enrollNodeDriver,
      requirePortMac: config.lookup.requirePortMac,
      lookupLimiter: options.lookupLimiter,
      maxDataBytes: config.maxBodyBytes,
    }),
    abort: new AbortIntrospection({ nodeCache, jobs, leaseMs, now }),
    reapply: new ReapplyIntrospection({
      nodeCache,
      jobs,
      now,
      logger,
      pipeline,
      storeData: config.storeData,
      maxDataBytes: config.maxBodyBytes,
    }),
    reads: new IntrospectionReads({ nodeCache, storeData: config.storeData }),
    periodic: new PeriodicTasks({
      nodeCache,
      logger,
      recovery: new Recovery({
        nodes: nodeCache.options.nodes,
        nodeInfo: (uuid) => nodeCache.nodeInfo(uuid),
        jobs,
        leaseMs,
        powerOff: processing.powerOff,
        now,
        logger,
      }),
    }),
    jobs,
    rules: rulesUseCases({ rules, logger, now }),
    nodeSummaries: (query) => nodeSummaries({ nodeCache, ironic: requireIronic({ ironic }) }, query),
    pxeFilter: () =>
      currentPxeFilter({ nodeCache, ironic, discovery: processing.nodeNotFoundHook !== undefined }),
  };
}

/**
 * Reapplying processing to stored data (`POST /v1/introspection/<node_id>/data/unprocessed`, upstream
 * `reapply`): the request stores the given data (if any), checks the node, records the `reapply`
 * event and a new `started_at`, and hands the lease to the worker's `reapply` job, which runs the
 * pipeline on the unprocessed data and finishes the node.
 *
 * @example
 * ```ts
 * await reapply.reapply('node-0', undefined); // 202 {}: the stored unprocessed data
 * ```
 */
import {
  InvalidIntrospectionData,
  NodeLockedError,
  NodeStateInvalidEvent,
  ReapplyNeedsStoredData,
} from '#lib/domain/errors.ts';
import {
  isTransientFailure,
  type JobHandler,
  type JobOf,
  type JobSubmitter,
  jobStamp,
} from '#lib/introspection/jobs.ts';
import { triggersFsmErrorTransition } from '#lib/node/fsm-decorators.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingPipeline } from '#lib/processing/pipeline.ts';

/** What the reapply request needs. */
export interface ReapplyOptions {
  readonly nodeCache: Pick<
    NodeCache,
    'resolveNodeId' | 'getNode' | 'storeIntrospectionData' | 'getIntrospectionData'
  >;
  readonly jobs: JobSubmitter;
  readonly now: () => Date;
  readonly logger: Logger;
  /** `[processing]store_data`. */
  readonly storeData: 's3' | 'none';
}

/** The reapply request. */
export class ReapplyIntrospection {
  readonly #options: ReapplyOptions;

  constructor(options: ReapplyOptions) {
    this.#options = options;
  }

  /**
   * Store the body as the node's unprocessed data (when given), check the data and the node, take the
   * lock without waiting (409 when busy), record the restart (`started_at` and the `reapply` event,
   * so the job can tell a redelivery from a new reapply) and hand the reprocessing to the worker. An
   * empty object counts as no body, as upstream's `if not data`.
   */
  async reapply(nodeId: string, body: unknown): Promise<void> {
    const { nodeCache, logger } = this.#options;
    if (body !== undefined) InvalidIntrospectionData.assertObject(body);
    const given = body !== undefined && Object.keys(body).length > 0 ? body : undefined;
    const uuid = await nodeCache.resolveNodeId(nodeId);
    const storing = this.#options.storeData !== 'none';
    if (given !== undefined) {
      if (storing) await nodeCache.storeIntrospectionData(uuid, given, { processed: false });
    } else {
      if (!storing) {
        throw new ReapplyNeedsStoredData();
      }
      await nodeCache.getIntrospectionData(uuid, { processed: false });
    }
    const nodeInfo = await nodeCache.getNode(uuid);
    if (!(await nodeInfo.acquireLock({ blocking: false }))) {
      throw new NodeLockedError('Node locked, please, try again later');
    }
    try {
      // The event first (upstream's fsm_event_before): an invalid reapply must change nothing. Then
      // started_at restarts; finished_at and error stay as they were (upstream's reapply).
      await nodeInfo.fsmEvent('reapply');
      nodeInfo.startedAt = this.#options.now();
      // The step due from now on, with the new run (a node already `reapplying` had it from before).
      await nodeInfo.commit({ type: 'reapply' });
    } catch (err) {
      await nodeInfo.releaseLock();
      if (!(err instanceof NodeStateInvalidEvent)) throw err;
      // Accepted, as upstream (its background task only logs the failure).
      logger.error(`Failed reapply for node ${uuid}: ${err.message}`, { node: uuid });
      return;
    }
    const leaseOwner = await nodeInfo.handOffLock();
    await this.#options.jobs.submit({
      type: 'reapply',
      uuid,
      leaseOwner,
      startedAt: jobStamp(nodeInfo.startedAt),
      ...(storing || given === undefined ? {} : { data: given }),
    });
  }
}

/**
 * The `reapply` job (upstream `_reapply` after the event): the pipeline on the stored unprocessed data
 * (or the data carried by the job when storing is off), the processed data stored, `finish`.
 */
export function reapplyJob(options: {
  readonly nodeCache: Pick<NodeCache, 'getIntrospectionData' | 'storeIntrospectionData'>;
  readonly pipeline: ProcessingPipeline;
  readonly logger: Logger;
  readonly storeData: 's3' | 'none';
}): JobHandler<JobOf<'reapply'>> {
  const { nodeCache, pipeline, logger } = options;
  const reprocess = triggersFsmErrorTransition({ logger, retryable: isTransientFailure })(
    async (nodeInfo: NodeInfo, data: IntrospectionDocument) => {
      const failures = pipeline.preprocess(data);
      if (failures.length > 0) {
        await nodeInfo.finished(
          'error',
          `Pre-processing failures detected reapplying introspection on stored data:\n${failures.join('\n')}`,
        );
        return;
      }
      await nodeInfo.ironic.node();
      await pipeline.updateNode(nodeInfo, data);
      if (options.storeData !== 'none') await nodeCache.storeIntrospectionData(nodeInfo.uuid, data);
      await nodeInfo.finished('finish');
      logger.info('Reapply finished successfully', { node: nodeInfo.uuid });
    },
  );
  return {
    dueIn: ['reapplying'],
    async run(nodeInfo, job) {
      let data: IntrospectionDocument;
      try {
        data = job.data ?? (await nodeCache.getIntrospectionData(nodeInfo.uuid, { processed: false }));
      } catch (err) {
        if (isTransientFailure(err)) throw err;
        await nodeInfo.finished('error', `Failed reapply: no unprocessed data (${(err as Error).message})`);
        return;
      }
      await reprocess(nodeInfo, data);
    },
  };
}

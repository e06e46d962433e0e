/**
 * Reapplying processing to stored data (`POST /v1/introspection/<node_id>/data/unprocessed`, upstream
 * `reapply`): the request checks everything first (the node, the data, the lock, the state), then
 * stores the given data (if any), records the `reapply` event and a new `started_at`, and hands the
 * lease to the worker's `reapply` job, which runs the pipeline on the unprocessed data, applies the
 * introspection rules and finishes the node. A reapply that will not run stores nothing
 * (docs/design.md#input-limits).
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
  NotFoundInCacheError,
  ReapplyNeedsStoredData,
} from '#lib/domain/errors.ts';
import { isTransientFailure } from '#lib/domain/retryable-failures.ts';
import { nextState } from '#lib/domain/state-machine.ts';
import { assertReadableBack } from '#lib/introspection/data-size.ts';
import { type JobHandler, type JobOf, type JobSubmitter, jobStamp } from '#lib/introspection/jobs.ts';
import { triggersFsmErrorTransition } from '#lib/node/fsm-decorators.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { ProcessingPipeline } from '#lib/processing/pipeline.ts';
import { applyIntrospectionRules } from '#lib/rules/lazy.ts';

/** What the reapply request needs. */
export interface ReapplyOptions {
  readonly nodeCache: Pick<
    NodeCache,
    'resolveNodeId' | 'getNode' | 'storeIntrospectionData' | 'getIntrospectionData'
  >;
  readonly jobs: JobSubmitter;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Pre-processing of given data, to know its processed size before storing it. */
  readonly pipeline: Pick<ProcessingPipeline, 'preprocess'>;
  /** `[processing]store_data`. */
  readonly storeData: 's3' | 'none';
  /** The largest document `GET …/data` answers (`MAX_BODY_BYTES`). */
  readonly maxDataBytes: number;
}

/** The reapply request. */
export class ReapplyIntrospection {
  readonly #options: ReapplyOptions;

  constructor(options: ReapplyOptions) {
    this.#options = options;
  }

  /**
   * Check the node (404 unknown), the data (404 none stored, 413 given data whose processed form
   * could not be read back) and the lock (409 busy, not waited for); a state where reapply is
   * invalid is accepted and does nothing, as upstream. Only then store the body as the node's
   * unprocessed data (when given), record the restart (`started_at` and the `reapply` event, so the
   * job can tell a redelivery from a new reapply) and hand the reprocessing to the worker. An empty
   * object counts as no body, as upstream's `if not data`.
   */
  async reapply(nodeId: string, body: unknown): Promise<void> {
    const { nodeCache, logger } = this.#options;
    if (body !== undefined) InvalidIntrospectionData.assertObject(body);
    const given = body !== undefined && Object.keys(body).length > 0 ? body : undefined;
    const storing = this.#options.storeData !== 'none';
    if (given === undefined && !storing) throw new ReapplyNeedsStoredData();
    const uuid = await nodeCache.resolveNodeId(nodeId);
    const nodeInfo = await nodeCache.getNode(uuid);
    if (given === undefined) await nodeCache.getIntrospectionData(uuid, { processed: false });
    else if (storing) {
      const copy = structuredClone(given);
      if (this.#options.pipeline.preprocess(copy).length === 0) {
        assertReadableBack(copy, this.#options.maxDataBytes);
      }
    }
    if (!(await nodeInfo.acquireLock({ blocking: false }))) {
      throw new NodeLockedError('Node locked, please, try again later');
    }
    try {
      // Decide on the record as it is under the lock: nobody can change it until we release.
      const record = await nodeInfo.reload();
      if (record === undefined) throw NotFoundInCacheError.forNode(uuid);
      try {
        nextState(record.state, 'reapply');
      } catch (err) {
        if (!(err instanceof NodeStateInvalidEvent)) throw err;
        // Accepted, as upstream (its background task only logs the failure); nothing stored.
        logger.error(`Failed reapply for node ${uuid}: ${err.message}`, { node: uuid });
        await nodeInfo.releaseLock();
        return;
      }
      if (given !== undefined && storing) {
        await nodeCache.storeIntrospectionData(uuid, given, { processed: false });
      }
      // started_at restarts; finished_at and error stay as they were (upstream's reapply).
      await nodeInfo.fsmEvent('reapply');
      nodeInfo.startedAt = this.#options.now();
      // The step due from now on, with the new run (a node already `reapplying` had it from before).
      await nodeInfo.commit({ type: 'reapply' });
    } catch (err) {
      await nodeInfo.releaseLock();
      throw err;
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
 * (or the data carried by the job when storing is off), the processed data stored, the rules applied,
 * `finish`.
 */
export function reapplyJob(options: {
  readonly nodeCache: Pick<NodeCache, 'getIntrospectionData' | 'storeIntrospectionData'>;
  readonly pipeline: ProcessingPipeline;
  /** Introspection rules, applied again after the processed data is stored. */
  readonly rules?: RuleStore | undefined;
  readonly logger: Logger;
  readonly storeData: 's3' | 'none';
}): JobHandler<JobOf<'reapply'>> {
  const { nodeCache, pipeline, rules, logger } = options;
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
      // A `fail` action throws: the decorator ends the node in `error` with the rule's message.
      await applyIntrospectionRules({ rules, logger }, nodeInfo, data);
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

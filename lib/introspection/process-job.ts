/**
 * The `process` job: processing that a ramdisk callback began but could not complete (Ironic
 * unreachable, storage throttled, the function died), run again from the node's stored unprocessed
 * data, then power off and `finish` (docs/design.md#recovery). The callback submits it when it can;
 * the clean-up's recovery runs it for a node whose outbox says `process` and whose holder is gone.
 *
 * Safe to repeat: the hooks patch Ironic with the same values (unchanged ones are not sent), ports
 * are created only when missing, the data is overwritten, and a node whose processing is already
 * done (outbox `finish`) only finishes.
 *
 * @example
 * ```ts
 * await jobs.run({ type: 'process', uuid, startedAt, powerOff: true });
 * ```
 */

import { isTransientFailure } from '#lib/domain/retryable-failures.ts';
import { type FinishOptions, finishIntrospection } from '#lib/introspection/finish.ts';
import type { JobHandler, JobOf } from '#lib/introspection/jobs.ts';
import { triggersFsmErrorTransition } from '#lib/node/fsm-decorators.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { ProcessingPipeline } from '#lib/processing/pipeline.ts';
import { applyIntrospectionRules } from '#lib/rules/lazy.ts';

/** What the `process` job needs. */
export interface ProcessJobOptions extends FinishOptions {
  readonly nodeCache: Pick<NodeCache, 'getIntrospectionData' | 'storeIntrospectionData'>;
  readonly pipeline: ProcessingPipeline;
  /** Introspection rules, applied as the callback applies them. */
  readonly rules: RuleStore;
  /** `[processing]store_data`. */
  readonly storeData: 's3' | 'none';
}

/** The `process` job handler. See the module comment. */
export function processJob(options: ProcessJobOptions): JobHandler<JobOf<'process'>> {
  const { nodeCache, pipeline, logger } = options;
  const finish = finishIntrospection(options);
  const reprocess = triggersFsmErrorTransition({ logger, retryable: isTransientFailure })(
    async (nodeInfo: NodeInfo, data: IntrospectionDocument, powerOff: boolean): Promise<boolean> => {
      if ((await nodeInfo.state()) === 'enrolling') {
        await nodeInfo.fsmEvent('process', { due: { type: 'process', powerOff } });
      }
      const failures = pipeline.preprocess(data);
      if (failures.length > 0) {
        await nodeInfo.finished(
          'error',
          `Pre-processing failures detected processing the stored data again:\n${failures.join('\n')}`,
        );
        return false;
      }
      await nodeInfo.ironic.node();
      await pipeline.updateNode(nodeInfo, data);
      if (options.storeData !== 'none') await nodeCache.storeIntrospectionData(nodeInfo.uuid, data);
      // As the callback: after the hooks and the stored data; a `fail` action ends the node in `error`.
      await applyIntrospectionRules({ rules: options.rules, logger }, nodeInfo, data);
      await nodeInfo.recordProgress({ type: 'finish', powerOff });
      return true;
    },
  );
  return {
    dueIn: ['processing', 'enrolling'],
    async run(nodeInfo, job) {
      const due = nodeInfo.dueJob;
      if (due?.type === 'finish') {
        logger.info('Processing is done already; finishing', { node: nodeInfo.uuid });
        await finish(nodeInfo, { powerOff: due.powerOff });
        return;
      }
      let data: IntrospectionDocument;
      try {
        data = await nodeCache.getIntrospectionData(nodeInfo.uuid, { processed: false });
      } catch (err) {
        if (isTransientFailure(err)) throw err;
        await nodeInfo.finished(
          'error',
          `Processing was interrupted and cannot be run again: ${(err as Error).message}`,
        );
        return;
      }
      logger.warn('Processing the stored unprocessed data again', { node: nodeInfo.uuid });
      if ((await reprocess(nodeInfo, data, job.powerOff)) !== true) return;
      await finish(nodeInfo, { powerOff: job.powerOff });
    },
  };
}

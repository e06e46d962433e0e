/**
 * Upstream `_finish`: power off (unless not wanted), then the `finish` event, as the worker's `finish`
 * job and as the last step of the `process` job (docs/design.md#recovery).
 *
 * @example
 * ```ts
 * const finish = finishIntrospection({ ironic, logger });
 * await finish(nodeInfo, { powerOff: true }); // node `finished`, or `error` naming what failed
 * ```
 */
import { InspectorError } from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { provisionState } from '#lib/domain/provision-states.ts';
import { isTransientFailure } from '#lib/domain/retryable-failures.ts';
import type { JobHandler, JobOf } from '#lib/introspection/jobs.ts';
import { triggersFsmErrorTransition } from '#lib/node/fsm-decorators.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What finishing a node needs. */
export interface FinishOptions {
  readonly ironic: IronicApi | undefined;
  readonly logger: Logger;
}

/**
 * Upstream `_finish` (`triggers_fsm_error_transition`): power off unless not wanted (a node in
 * `enroll` may fail to), then `finish`; a failure moves the node to `error`, except one a later try
 * can get past (Ironic unreachable, storage), which leaves the finish due for the next try.
 */
export function finishIntrospection(
  options: FinishOptions,
): (nodeInfo: NodeInfo, args: { readonly powerOff: boolean }) => Promise<void> {
  const { logger } = options;
  const finish = triggersFsmErrorTransition({ logger, retryable: isTransientFailure })(
    async (nodeInfo: NodeInfo, { powerOff }: { readonly powerOff: boolean }) => {
      if (powerOff) {
        try {
          await requireIronic(options).setPowerState(nodeInfo.uuid, 'power off');
        } catch (err) {
          if (isTransientFailure(err)) throw err;
          if (provisionState(await nodeInfo.ironic.node()) !== 'enroll') {
            throw new InspectorError(
              `Failed to power off node ${nodeInfo.uuid}, check its power management configuration: ${(err as Error).message}`,
            );
          }
          logger.info('Power off failed for a node in enroll; ignoring', { node: nodeInfo.uuid });
        }
      }
      await nodeInfo.finished('finish');
      logger.info('Introspection finished successfully', { node: nodeInfo.uuid });
    },
  );
  return async (nodeInfo, args) => {
    await finish(nodeInfo, args);
  };
}

/** The `finish` job: {@link finishIntrospection} for a node still `processing` in the same run. */
export function finishJob(options: FinishOptions): JobHandler<JobOf<'finish'>> {
  const finish = finishIntrospection(options);
  return {
    dueIn: ['processing'],
    async run(nodeInfo, job) {
      await finish(nodeInfo, { powerOff: job.powerOff });
    },
  };
}

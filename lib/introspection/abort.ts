/**
 * Aborting introspection (`POST /v1/introspection/<node_id>/abort`, upstream `abort`): the request
 * records the `abort` event before answering (docs/design.md#abort-intent), then the worker's `abort`
 * job powers the node off (managed boot; a failure is logged) and ends it with `abort_end`.
 *
 * @example
 * ```ts
 * await abort.abort('node-0'); // 202 {}; 409 when the node is locked
 * ```
 */
import { NodeLockedError, NodeStateInvalidEvent, NotFoundInCacheError } from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { callWithRetries } from '#lib/introspection/ironic-retries.ts';
import type { JobHandler, JobOf, JobSubmitter } from '#lib/introspection/jobs.ts';
import { isStalled, TRANSIENT_STATES } from '#lib/introspection/recovery.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What the abort request needs. */
export interface AbortIntrospectionOptions {
  readonly nodeCache: Pick<NodeCache, 'getNode'>;
  readonly jobs: JobSubmitter;
  /** One lease in ms: a transient node whose step made no progress for that long is stranded. */
  readonly leaseMs: number;
  readonly now: () => Date;
}

/** The abort request. */
export class AbortIntrospection {
  readonly #options: AbortIntrospectionOptions;

  constructor(options: AbortIntrospectionOptions) {
    this.#options = options;
  }

  /**
   * 404 if not cached, 409 if busy; otherwise the `abort` event is recorded now (with `abort` as the
   * step due) and power-off and `abort_end` go to the worker. A node stranded in a transient state
   * (docs/design.md#recovery) is aborted too: `abort` becomes its step due, and the job ends it in
   * `error` with "Canceled by operator". An abort that is not valid in the node's state is accepted
   * and does nothing, as upstream.
   */
  async abort(nodeId: string): Promise<void> {
    const nodeInfo = await this.#options.nodeCache.getNode(nodeId);
    if (!(await nodeInfo.acquireLock({ blocking: false }))) throw new NodeLockedError();
    try {
      const record = await nodeInfo.reload();
      if (record === undefined) throw NotFoundInCacheError.noRecord();
      if (record.state !== 'aborting' && isStalled(record, this.#options.now(), this.#options.leaseMs)) {
        await nodeInfo.recordProgress({ type: 'abort' });
      } else {
        await nodeInfo.fsmEvent('abort', { due: { type: 'abort' } });
      }
    } catch (err) {
      await nodeInfo.releaseLock();
      if (err instanceof NodeStateInvalidEvent) return;
      throw err;
    }
    const leaseOwner = await nodeInfo.handOffLock();
    await this.#options.jobs.submit({ type: 'abort', uuid: nodeInfo.uuid, leaseOwner });
  }
}

/** The `abort` job (upstream `_abort` after the event): power off (failures logged), `abort_end`. */
export function abortJob(options: {
  readonly ironic: IronicApi | undefined;
  readonly logger: Logger;
  /** Pause between retried Ironic calls (upstream: 1 s). */
  readonly retryDelayMs: number;
}): JobHandler<JobOf<'abort'>> {
  const { logger } = options;
  return {
    dueIn: ['aborting', 'error', ...TRANSIENT_STATES],
    async run(nodeInfo) {
      const state = await nodeInfo.state();
      // A stranded node an operator aborted: in a transient state with `abort` due. Any other
      // transient node is not this job's (a redelivery after a new start, say).
      const stranded = state !== 'aborting' && state !== 'error';
      if (stranded && nodeInfo.dueJob?.type !== 'abort') {
        logger.info(`Abort is not due in state ${state}, skipping`, { node: nodeInfo.uuid });
        return;
      }
      if (nodeInfo.manageBoot) {
        try {
          await callWithRetries(
            () => requireIronic(options).setPowerState(nodeInfo.uuid, 'power off'),
            options,
          );
        } catch (err) {
          logger.warn('Failed to power off node after introspection abort', {
            node: nodeInfo.uuid,
            error: (err as Error).message,
          });
        }
      }
      try {
        await nodeInfo.finished(stranded ? 'error' : 'abort_end', 'Canceled by operator');
        logger.info('Introspection aborted', { node: nodeInfo.uuid });
      } catch (err) {
        if (!(err instanceof NodeStateInvalidEvent)) throw err;
        logger.info('Node was not aborting; nothing to end', { node: nodeInfo.uuid });
      }
    },
  };
}

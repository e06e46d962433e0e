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
import { NodeLockedError, NodeStateInvalidEvent } from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { callWithRetries } from '#lib/introspection/ironic-retries.ts';
import type { JobHandler, JobOf, JobSubmitter } from '#lib/introspection/jobs.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What the abort request needs. */
export interface AbortIntrospectionOptions {
  readonly nodeCache: Pick<NodeCache, 'getNode'>;
  readonly jobs: JobSubmitter;
}

/** The abort request. */
export class AbortIntrospection {
  readonly #options: AbortIntrospectionOptions;

  constructor(options: AbortIntrospectionOptions) {
    this.#options = options;
  }

  /**
   * 404 if not cached, 409 if busy; otherwise the `abort` event is recorded now and power-off and
   * `abort_end` go to the worker. An abort that is not valid in the node's state is accepted and does
   * nothing, as upstream.
   */
  async abort(nodeId: string): Promise<void> {
    const nodeInfo = await this.#options.nodeCache.getNode(nodeId);
    if (!(await nodeInfo.acquireLock({ blocking: false }))) throw new NodeLockedError();
    try {
      await nodeInfo.fsmEvent('abort');
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
    dueIn: ['aborting', 'error'],
    async run(nodeInfo) {
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
        await nodeInfo.finished('abort_end', 'Canceled by operator');
        logger.info('Introspection aborted', { node: nodeInfo.uuid });
      } catch (err) {
        if (!(err instanceof NodeStateInvalidEvent)) throw err;
        logger.info('Node was not aborting; nothing to end', { node: nodeInfo.uuid });
      }
    },
  };
}

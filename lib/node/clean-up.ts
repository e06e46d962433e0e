/**
 * Upstream's `clean_up`: time out active introspections older than `[DEFAULT]timeout`.
 *
 * Candidates come from the index of active states by `started_at`, so a pass reads in proportion to
 * the stale nodes, not to the cache. Each candidate is locked without waiting (a busy node is left for
 * the next pass) and re-read under the lock before it is timed out, so two overlapping passes, or a
 * restart racing the pass, time nothing out twice or wrongly.
 *
 * @example
 * ```ts
 * const timedOut = await cleanUp(deps); // UUIDs moved to `error` with "Introspection timeout"
 * ```
 */
import { ACTIVE_STATES } from '#lib/domain/state-machine.ts';
import type { NodeInfoFactory } from '#lib/node/node-info.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { NodeRecord, NodeStore } from '#lib/ports/node-store.ts';

/** What clean_up needs. */
export interface CleanUpDeps {
  readonly nodes: Pick<NodeStore, 'listNodesStartedBefore'>;
  readonly nodeInfo: NodeInfoFactory;
  readonly now: () => Date;
  readonly logger: Logger;
  /** `[DEFAULT]timeout` in seconds; ≤ 0 disables timeouts. */
  readonly timeoutSeconds: number;
}

/**
 * Move each stale, unlocked candidate to `error` with "Introspection timeout" (lookup attributes and
 * options dropped, introspection data kept). Returns the UUIDs timed out.
 */
export async function cleanUp(deps: CleanUpDeps): Promise<string[]> {
  const { logger, timeoutSeconds } = deps;
  if (timeoutSeconds <= 0) return [];
  const threshold = new Date(deps.now().getTime() - timeoutSeconds * 1000);
  const candidates = await deps.nodes.listNodesStartedBefore(ACTIVE_STATES, threshold);
  if (candidates.length === 0) return [];
  logger.error('Introspection for nodes has timed out', { nodes: candidates.map((c) => c.uuid) });

  const timedOut: string[] = [];
  for (const candidate of candidates) {
    const nodeInfo = deps.nodeInfo(candidate.uuid);
    try {
      if (!(await nodeInfo.acquireLock({ blocking: false }))) {
        logger.info('Skipping timeout check for a locked node', { node: candidate.uuid });
        continue;
      }
      // The index is eventually consistent and someone may have finished the node before we took
      // the lock: decide on a consistent read made under the lock.
      const record = await nodeInfo.reload();
      if (record === undefined || !isTimedOut(record, threshold)) continue;
      if (record.state !== 'waiting') {
        logger.error(`Introspection timeout occurred while introspection in "${record.state}" state`, {
          node: record.uuid,
        });
      }
      await nodeInfo.finished('timeout', 'Introspection timeout');
      timedOut.push(record.uuid);
    } catch (err) {
      // One node (restarted under us, storage hiccup) must not stop the pass for the others; it is
      // looked at again next period.
      logger.warn('Could not time out node, will retry on the next clean-up', {
        node: candidate.uuid,
        error: String(err),
      });
    } finally {
      await nodeInfo.releaseLock();
    }
  }
  return timedOut;
}

/**
 * Whether a record read under the lock is still an active introspection older than `threshold`. A
 * reapply keeps the old `finished_at` and still times out (docs/design.md#reapply-timeout).
 */
function isTimedOut(record: NodeRecord, threshold: Date): boolean {
  const active = record.finishedAt === null || record.state === 'reapplying';
  return active && record.startedAt !== null && record.startedAt.getTime() < threshold.getTime();
}

/**
 * The periodic task (upstream's `periodic_clean_up` and `sync_with_ironic`), run by the clean-up
 * function on a schedule: drive stranded nodes to their end (`recovery.ts`), time out stale
 * introspections, then drop nodes Ironic no longer has. Safe
 * when two runs overlap (non-blocking locks and re-checks in `clean_up`, idempotent deletes in the
 * sync).
 *
 * @example
 * ```ts
 * const { recovered, timedOut, dropped } = await periodic.run();
 * ```
 */
import type { Recovery } from '#lib/introspection/recovery.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What one pass did. */
export interface PeriodicResult {
  /** Stranded nodes whose due step was run (docs/design.md#recovery). */
  readonly recovered: string[];
  readonly timedOut: string[];
  readonly dropped: string[];
}

/** What the periodic task needs. */
export interface PeriodicTasksOptions {
  readonly nodeCache: Pick<NodeCache, 'cleanUp' | 'syncWithIronic'>;
  readonly recovery: Pick<Recovery, 'run'>;
  readonly logger: Logger;
}

/** The periodic task. */
export class PeriodicTasks {
  readonly #options: PeriodicTasksOptions;

  constructor(options: PeriodicTasksOptions) {
    this.#options = options;
  }

  /**
   * One pass: recovery of stranded nodes first (a node that succeeded must not be timed out for its
   * lost finish), then clean-up, then the Ironic sync (whose failure waits for the next pass).
   */
  async run(): Promise<PeriodicResult> {
    let recovered: string[] = [];
    try {
      recovered = await this.#options.recovery.run();
    } catch (err) {
      this.#options.logger.error('Recovery failed, will try again next period', { error: String(err) });
    }
    const timedOut = await this.#options.nodeCache.cleanUp();
    let dropped: string[] = [];
    try {
      dropped = await this.#options.nodeCache.syncWithIronic();
    } catch (err) {
      this.#options.logger.error('Ironic sync failed, will try again next period', { error: String(err) });
    }
    return { recovered, timedOut, dropped };
  }
}

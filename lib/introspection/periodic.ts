/**
 * The periodic task (upstream's `periodic_clean_up` and `sync_with_ironic`), run by the clean-up
 * function on a schedule: time out stale introspections, then drop nodes Ironic no longer has. Safe
 * when two runs overlap (non-blocking locks and re-checks in `clean_up`, idempotent deletes in the
 * sync).
 *
 * @example
 * ```ts
 * const { timedOut, dropped } = await periodic.run();
 * ```
 */
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What one pass did. */
export interface PeriodicResult {
  readonly timedOut: string[];
  readonly dropped: string[];
}

/** What the periodic task needs. */
export interface PeriodicTasksOptions {
  readonly nodeCache: Pick<NodeCache, 'cleanUp' | 'syncWithIronic'>;
  readonly logger: Logger;
}

/** The periodic task. */
export class PeriodicTasks {
  readonly #options: PeriodicTasksOptions;

  constructor(options: PeriodicTasksOptions) {
    this.#options = options;
  }

  /** One pass: clean-up, then the Ironic sync (whose failure waits for the next pass). */
  async run(): Promise<PeriodicResult> {
    const timedOut = await this.#options.nodeCache.cleanUp();
    let dropped: string[] = [];
    try {
      dropped = await this.#options.nodeCache.syncWithIronic();
    } catch (err) {
      this.#options.logger.error('Ironic sync failed, will try again next period', { error: String(err) });
    }
    return { timedOut, dropped };
  }
}

/**
 * Recovery of stranded nodes (docs/design.md#recovery): the clean-up's first step. A node in a
 * transient state (`starting`, `processing`, `reapplying`, `aborting`, `enrolling`) whose step made
 * no progress for one lease has lost its holder (a function died, timed out, or its queued job was
 * lost): its lease has run out, so the recovery takes it without waiting and runs the step the
 * node's outbox names, to the node's end (`finished`, `error`, or `waiting` after a start).
 *
 * ```
 * callback  |-process (outbox: process)-hooks-data-(outbox: finish)-renew, send finish X  (dies)
 * lease                 |<------------------- one lease ------------------->|
 * clean-up                                                                    |-lease-finish (outbox)-|
 * ```
 *
 * @example
 * ```ts
 * const recovered = await recovery.run(); // UUIDs whose due step was run
 * ```
 */
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import type { JobRunner } from '#lib/introspection/job-runner.ts';
import { type Job, jobStamp } from '#lib/introspection/jobs.ts';
import type { NodeInfoFactory } from '#lib/node/node-info.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { DueJob, NodeRecord, NodeStore } from '#lib/ports/node-store.ts';

/** The states a node passes through while a step is owed to it (`waiting` waits for the ramdisk). */
export const TRANSIENT_STATES: readonly IntrospectionState[] = [
  'starting',
  'processing',
  'reapplying',
  'aborting',
  'enrolling',
];

/**
 * Whether a record's step made no progress for one lease: any holder it had has run out its lease
 * (a live holder never runs longer than one), so the step is stranded.
 */
export function isStalled(record: NodeRecord, now: Date, leaseMs: number): boolean {
  const progress = record.progressAt ?? record.startedAt;
  return (
    TRANSIENT_STATES.includes(record.state) &&
    progress !== null &&
    progress.getTime() < now.getTime() - leaseMs
  );
}

/** The step due on a record: its outbox, or (records written before there was one) what its state implies. */
export function dueJobOf(record: NodeRecord, options: { readonly powerOff: boolean }): DueJob | undefined {
  if (record.dueJob !== undefined) return record.dueJob;
  switch (record.state) {
    case 'starting':
      return { type: 'introspect' };
    case 'processing':
    case 'enrolling':
      return { type: 'process', powerOff: record.manageBoot && options.powerOff };
    case 'aborting':
      return { type: 'abort' };
    case 'reapplying':
      return { type: 'reapply' };
    default:
      return undefined;
  }
}

/** The job that runs `due` on `record` (no lease owner: the recovery holds the lease itself). */
export function jobFor(record: NodeRecord, due: DueJob): Job {
  const { uuid } = record;
  const startedAt = jobStamp(record.startedAt);
  switch (due.type) {
    case 'introspect':
      return { type: 'introspect', uuid, startedAt };
    case 'process':
    case 'finish':
      return { type: due.type, uuid, startedAt, powerOff: due.powerOff };
    case 'abort':
      return { type: 'abort', uuid };
    case 'reapply':
      return { type: 'reapply', uuid, startedAt };
  }
}

/** What the recovery needs. */
export interface RecoveryOptions {
  readonly nodes: Pick<NodeStore, 'listStalledNodes'>;
  readonly nodeInfo: NodeInfoFactory;
  readonly jobs: Pick<JobRunner, 'runLocked'>;
  /** One lease (`NODE_LEASE_SECONDS`), in ms: how long a step may go without progress. */
  readonly leaseMs: number;
  /** `[processing]power_off`, for records without an outbox. */
  readonly powerOff: boolean;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** The recovery pass. See the module comment. */
export class Recovery {
  readonly #options: RecoveryOptions;

  constructor(options: RecoveryOptions) {
    this.#options = options;
  }

  /** Run the due step of every stranded node whose lease is free; returns their UUIDs. */
  async run(): Promise<string[]> {
    const { nodes, logger, leaseMs } = this.#options;
    const threshold = new Date(this.#options.now().getTime() - leaseMs);
    const candidates = await nodes.listStalledNodes(TRANSIENT_STATES, threshold);
    const recovered: string[] = [];
    for (const candidate of candidates) {
      const nodeInfo = this.#options.nodeInfo(candidate.uuid);
      try {
        // Without waiting: a node whose lease is held has a live holder (or one not yet timed out).
        if (!(await nodeInfo.acquireLock({ blocking: false }))) continue;
        // Decide on a consistent read under the lease: the step may have moved on since the listing.
        const record = await nodeInfo.reload();
        if (record === undefined || !isStalled(record, this.#options.now(), leaseMs)) continue;
        const due = dueJobOf(record, this.#options);
        if (due === undefined) continue;
        logger.warn(`Recovering a node stranded in "${record.state}": running its ${due.type} step`, {
          node: record.uuid,
          state: record.state,
          job: due.type,
          progressAt: (record.progressAt ?? record.startedAt)?.toISOString(),
        });
        await this.#options.jobs.runLocked(nodeInfo, jobFor(record, due));
        recovered.push(record.uuid);
      } catch (err) {
        // Ironic down, storage throttled: the step stays due and the next pass tries again.
        logger.warn('Could not recover node, will retry on the next clean-up', {
          node: candidate.uuid,
          error: String(err),
        });
      } finally {
        await nodeInfo.releaseLock();
      }
    }
    return recovered;
  }
}

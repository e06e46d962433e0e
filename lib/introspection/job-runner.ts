/**
 * The worker's side of the jobs: run one job through the job table, idempotently, and the request's
 * side: submit a job (enqueue it, or run it in the request when the queue refuses it).
 *
 * Running a job: a job held back for a power slot that comes back early goes round the queue again;
 * otherwise the node is locked (taking over a lease handed over by the request, when the job carries
 * one), re-read, and the handler runs only while the node's state and `started_at` say the job is
 * due. A redelivered or superseded job does nothing.
 *
 * @example
 * ```ts
 * const jobs = new JobRunner({ table, nodeCache, queue, now, logger });
 * await jobs.submit({ type: 'abort', uuid, leaseOwner }); // request side
 * await jobs.run(job);                                     // worker side
 * ```
 */
import type { Job, JobHandler, JobSubmitter, JobTable } from '#lib/introspection/jobs.ts';
import { jobStamp } from '#lib/introspection/jobs.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** A queue delivers a job this much before its power slot at most; earlier, it goes round again. */
const EARLY_TOLERANCE_MS = 1000;

/** What the job runner needs. */
export interface JobRunnerOptions {
  readonly table: JobTable;
  readonly nodeCache: Pick<NodeCache, 'nodeInfo'>;
  readonly queue: JobQueue;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** Runs and submits jobs. See the module comment. */
export class JobRunner implements JobSubmitter {
  readonly #options: JobRunnerOptions;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  async submit(job: Job): Promise<void> {
    try {
      await this.#options.queue.send(job);
    } catch (err) {
      this.#options.logger.warn('Could not enqueue the job, running it in the request', {
        job: job.type,
        error: String(err),
      });
      await this.run(job);
    }
  }

  /** Run one job. Idempotent: a job that is no longer due (redelivered, superseded) does nothing. */
  async run(job: Job): Promise<void> {
    const { logger, nodeCache, queue } = this.#options;
    const log = { node: job.uuid, job: job.type };
    // A queue delays a message 15 minutes at most: a power slot further away comes back early and
    // goes round again until its time.
    if ('notBeforeMs' in job && job.notBeforeMs !== undefined) {
      const early = job.notBeforeMs - this.#options.now().getTime();
      if (early > EARLY_TOLERANCE_MS) {
        logger.info('Power slot not reached yet, waiting in the queue again', { ...log, waitMs: early });
        await queue.send(job, { delayMs: early });
        return;
      }
    }
    const nodeInfo = nodeCache.nodeInfo(job.uuid, 'leaseOwner' in job ? { leaseOwner: job.leaseOwner } : {});
    await nodeInfo.acquireLock({ blocking: true });
    try {
      await this.runLocked(nodeInfo, job);
    } finally {
      await nodeInfo.releaseLock();
    }
  }

  /**
   * Run `job` on a node whose lease the caller holds (the worker, or the clean-up's recovery): re-read
   * the record, then run the handler if the job is still due. The caller releases the lease.
   */
  async runLocked(nodeInfo: NodeInfo, job: Job): Promise<void> {
    const { logger, nodeCache } = this.#options;
    const log = { node: job.uuid, job: job.type };
    const record = await nodeInfo.reload();
    if (record === undefined) {
      logger.info('Job for a node no longer cached, skipping', log);
      return;
    }
    const handler = this.#options.table[job.type] as JobHandler;
    const sameRun = !('startedAt' in job) || jobStamp(record.startedAt) === job.startedAt;
    if (!sameRun || !handler.dueIn.includes(record.state)) {
      logger.info(`Job is not due in state ${record.state}, skipping`, log);
      return;
    }
    try {
      await handler.run(nodeInfo, job);
    } catch (err) {
      // A failure the job recorded on the node (it went to `error`) is the job's outcome: running
      // it again could not change it. Anything else (storage, a crash before recording) is retried.
      const after = await nodeCache.nodeInfo(job.uuid).reload();
      if (after?.state === 'error' && after.versionId !== record.versionId) {
        logger.warn('Job failed; the failure is recorded on the node', { ...log, error: String(err) });
        return;
      }
      throw err;
    }
  }
}

/**
 * The job queue port: where the worker's jobs go (SQS in AWS, an in-process queue locally).
 *
 * @example
 * ```ts
 * await queue.send(job, { delayMs: jobDelayMs(requested) });
 * ```
 */
import type { Job } from '#lib/introspection/jobs.ts';

/** Where jobs go: SQS in AWS, an in-process queue locally. */
export interface JobQueue {
  /** Enqueue; `delayMs` holds the job back (SQS allows up to 15 minutes). */
  send(job: Job, options?: { delayMs?: number }): Promise<void>;
}

/** SQS's longest message delay. */
export const MAX_JOB_DELAY_MS = 900_000;

/** A requested delay as a queue can honour it: 0 to {@link MAX_JOB_DELAY_MS} ms. */
export function jobDelayMs(delayMs: number | undefined): number {
  return Math.min(MAX_JOB_DELAY_MS, Math.max(0, delayMs ?? 0));
}

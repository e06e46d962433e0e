/**
 * The worker's queue for the local stack: in-process, asynchronous, at-least-once like SQS. A job
 * whose run throws is delivered again (up to `maxReceives`, as the SQS redrive policy), then logged as
 * dead-lettered.
 *
 * @example
 * ```ts
 * const queue = new InProcessJobQueue(async (job) => inspector.runJob(job), logger);
 * await queue.send(job); // returns at once; the job runs after the current request
 * await queue.idle();    // tests: wait until every job ran
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '#lib/introspection/jobs.ts';
import { type JobQueue, jobDelayMs } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';

export class InProcessJobQueue implements JobQueue {
  #consumer: ((job: Job) => Promise<void>) | undefined;
  readonly #logger: Logger;
  readonly #maxReceives: number;
  readonly #retryDelayMs: number;
  #pending = 0;
  #waiters: Array<() => void> = [];
  /** Jobs that ran out of deliveries (the local dead-letter queue). */
  readonly deadLetters: Job[] = [];

  constructor(logger: Logger, options: { maxReceives?: number; retryDelayMs?: number } = {}) {
    this.#logger = logger;
    this.#maxReceives = options.maxReceives ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /** Set who runs the jobs (the worker handler). */
  consume(consumer: (job: Job) => Promise<void>): void {
    this.#consumer = consumer;
  }

  async send(job: Job, options: { delayMs?: number } = {}): Promise<void> {
    if (this.#consumer === undefined) throw new Error('The in-process job queue has no consumer');
    const consumer = this.#consumer;
    this.#pending++;
    const delay = jobDelayMs(options.delayMs);
    const later = delay > 0 ? (run: () => void) => setTimeout(run, delay) : setImmediate;
    later(() => {
      void this.#deliver(job, consumer).finally(() => {
        this.#pending--;
        if (this.#pending === 0) for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  async #deliver(job: Job, consumer: (job: Job) => Promise<void>): Promise<void> {
    for (let receive = 1; receive <= this.#maxReceives; receive++) {
      try {
        await consumer(job);
        return;
      } catch (err) {
        this.#logger.warn('Job failed', { job: job.type, node: job.uuid, receive, error: String(err) });
        if (receive < this.#maxReceives) await sleep(this.#retryDelayMs);
      }
    }
    this.deadLetters.push(job);
    this.#logger.error('Job dead-lettered after its last delivery', { job: job.type, node: job.uuid });
  }

  /** Resolves once no job is queued or running. */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * A job queue the test delivers by hand: jobs wait in `sent` until the test delivers them (once, or
 * several times, as an at-least-once queue may), or drops them (lost with a crashed process). For
 * the recovery and fault tests, where the test decides what happens to every job.
 */
import type { Job } from '#lib/introspection/jobs.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';

export class ManualQueue implements JobQueue {
  /** Jobs sent and not yet delivered or dropped, in order. */
  readonly sent: Job[] = [];
  /** Every job ever sent. */
  readonly history: Job[] = [];
  /** When set, `send` throws it (the queue refusing jobs). */
  refuse: Error | undefined;

  async send(job: Job): Promise<void> {
    if (this.refuse !== undefined) throw this.refuse;
    this.sent.push(job);
    this.history.push(job);
  }

  /** Drop every waiting job (the process holding them died); returns them. */
  drop(): Job[] {
    return this.sent.splice(0);
  }

  /**
   * Deliver every waiting job (and any they send) `times` times each to `run`, until none is left.
   * A delivery that fails is delivered again, as SQS would, up to `times` deliveries in all.
   */
  async deliverAll(run: (job: Job) => Promise<void>, times = 1): Promise<number> {
    let delivered = 0;
    while (this.sent.length > 0) {
      const job = this.sent.shift() as Job;
      for (let i = 0; i < times; i++) {
        delivered++;
        try {
          await run(job);
        } catch {
          // At-least-once: the next delivery tries again.
        }
      }
    }
    return delivered;
  }
}

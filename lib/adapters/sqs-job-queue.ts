/**
 * The worker's queue on SQS (with a dead-letter queue configured on the queue itself, in the stack).
 *
 * @example
 * ```ts
 * const queue = new SqsJobQueue(new SQSClient({}), process.env.WORKER_QUEUE_URL);
 * await queue.send({ type: 'abort', uuid, leaseOwner });
 * ```
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Job } from '#lib/introspection/jobs.ts';
import { type JobQueue, jobDelayMs } from '#lib/ports/job-queue.ts';

/** SQS implementation of {@link JobQueue}. */
export class SqsJobQueue implements JobQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
  }

  async send(job: Job, options: { delayMs?: number } = {}): Promise<void> {
    const delaySeconds = Math.ceil(jobDelayMs(options.delayMs) / 1000);
    await this.#sqs.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify(job),
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
        MessageAttributes: { type: { DataType: 'String', StringValue: job.type } },
      }),
    );
  }
}

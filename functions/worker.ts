/**
 * The worker function: runs the jobs the API enqueued (boot and reboot after a start, power off and
 * finish after processing, abort, reapply) through the job table (`lib/introspection/use-cases.ts`),
 * from SQS. A job that fails is reported in `batchItemFailures`, so SQS delivers it again and, after
 * the redrive limit, moves it to the dead-letter queue. A message that is not a job is logged and
 * dropped (retrying cannot fix it).
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type Job, jobSchema } from '#lib/introspection/jobs.ts';
import { lambdaHandler, lazyHandler } from '#lib/lambda.ts';
import { powertoolsLogger } from '#lib/observability.ts';
import { type InspectorRuntime, runtime } from '#lib/runtime.ts';

/** Run every job of an SQS batch; report the ones that failed. */
export async function runBatch(event: SQSEvent, rt: InspectorRuntime): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let job: Job;
    try {
      job = jobSchema.parse(JSON.parse(record.body));
    } catch (err) {
      rt.logger.error('Dropping a message that is not a job', {
        messageId: record.messageId,
        error: String(err),
      });
      continue;
    }
    powertoolsLogger.appendKeys({ node: job.uuid, job: job.type });
    try {
      await rt.useCases.jobs.run(job);
    } catch (err) {
      rt.logger.warn('Job failed; SQS will deliver it again', {
        node: job.uuid,
        job: job.type,
        messageId: record.messageId,
        error: String(err),
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** The worker handler on a runtime (the local stack passes its own). */
export function createWorkerHandler(rt: InspectorRuntime) {
  return lambdaHandler<SQSEvent, SQSBatchResponse>((event) => runBatch(event, rt));
}

export const handler = lazyHandler(() => createWorkerHandler(runtime()));

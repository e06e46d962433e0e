/**
 * The worker function: runs the jobs the API enqueued (boot and reboot after a start, power off and
 * finish after processing, abort, reapply), from SQS. A job that fails is reported in
 * `batchItemFailures`, so SQS delivers it again and, after the redrive limit, moves it to the
 * dead-letter queue. A message that is not a job is logged and dropped (retrying cannot fix it).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { jobSchema } from '#lib/introspection/jobs.ts';
import { powertoolsLogger, powertoolsMetrics } from '#lib/observability.ts';
import { type InspectorRuntime, runtime } from '#lib/runtime.ts';

/** Run every job of an SQS batch; report the ones that failed. */
export async function runBatch(event: SQSEvent, rt: InspectorRuntime = runtime()): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let job: ReturnType<typeof jobSchema.parse>;
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
      await rt.inspector.runJob(job);
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

export const handler = middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(powertoolsLogger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics))
  .handler((event) => runBatch(event));

/**
 * The clean-up function, on a schedule (upstream's `clean_up_period`): time out introspections whose
 * ramdisk never called back, then drop cached nodes Ironic no longer has. Two overlapping runs are
 * safe: nodes are locked without waiting and re-checked under the lock, and deletes are idempotent.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { powertoolsLogger, powertoolsMetrics } from '#lib/observability.ts';
import { type InspectorRuntime, runtime } from '#lib/runtime.ts';

/** One clean-up pass. */
export async function cleanUpPass(
  rt: InspectorRuntime = runtime(),
): Promise<{ timedOut: string[]; dropped: string[] }> {
  const result = await rt.inspector.periodic();
  if (result.timedOut.length > 0 || result.dropped.length > 0) rt.logger.info('Clean-up pass', { ...result });
  return result;
}

export const handler = middy<ScheduledEvent, { timedOut: string[]; dropped: string[] }>({
  timeoutEarlyInMillis: 0,
})
  .use(injectLambdaContext(powertoolsLogger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics))
  .handler(() => cleanUpPass());

/**
 * The clean-up function, on a schedule (upstream's `clean_up_period`): drive stranded nodes to their
 * end (docs/design.md#recovery), time out introspections whose ramdisk never called back, then drop
 * cached nodes Ironic no longer has. Two overlapping runs are
 * safe: nodes are locked without waiting and re-checked under the lock, and deletes are idempotent.
 */
import type { ScheduledEvent } from 'aws-lambda';
import type { PeriodicResult } from '#lib/introspection/periodic.ts';
import { lambdaHandler, lazyHandler } from '#lib/lambda.ts';
import { type InspectorRuntime, runtime } from '#lib/runtime.ts';

/** One clean-up pass. */
export async function cleanUpPass(rt: InspectorRuntime): Promise<PeriodicResult> {
  const result = await rt.useCases.periodic.run();
  if (result.recovered.length > 0 || result.timedOut.length > 0 || result.dropped.length > 0) {
    rt.logger.info('Clean-up pass', { ...result });
  }
  return result;
}

/** The clean-up handler on a runtime (the local stack passes its own). */
export function createCleanUpHandler(rt: InspectorRuntime) {
  return lambdaHandler<ScheduledEvent, PeriodicResult>(() => cleanUpPass(rt));
}

export const handler = lazyHandler(() => createCleanUpHandler(runtime()));

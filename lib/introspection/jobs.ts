/**
 * The worker's jobs: the work upstream runs in background threads after answering (set the boot
 * device and reboot after a start, power off and finish after processing, abort, reapply). A Lambda
 * does nothing after it has answered, so the API enqueues a job on a durable queue and the worker runs
 * it.
 *
 * Every job is idempotent under redelivery: it names the introspection it belongs to (`startedAt`),
 * and the worker acts only while the node's state and `started_at` still say the job is due; the lease
 * keeps two deliveries from running at once.
 *
 * @example
 * ```ts
 * await queue.send({ type: 'introspect', uuid, startedAt: '2026-11-25T18:00:00.000000' });
 * ```
 */
import * as z from 'zod';

export const jobSchema = z.discriminatedUnion('type', [
  /** After a start with managed boot: MAC lookup attributes, PXE boot device, reboot, `wait`. */
  z.object({
    type: z.literal('introspect'),
    uuid: z.string(),
    startedAt: z.string(),
    /** The power slot (upstream's introspection_delay): not before this time (epoch ms). */
    notBeforeMs: z.number().optional(),
  }),
  /** After processing: power off (when wanted) and `finish`, holding the callback's lease. */
  z.object({
    type: z.literal('finish'),
    uuid: z.string(),
    startedAt: z.string(),
    powerOff: z.boolean(),
    leaseOwner: z.string(),
  }),
  /** After an accepted abort (the `abort` event is already recorded): power off, `abort_end`. */
  z.object({ type: z.literal('abort'), uuid: z.string(), leaseOwner: z.string() }),
  /** Reapply processing to the stored unprocessed data (or to `data` when storing is off). */
  z.object({
    type: z.literal('reapply'),
    uuid: z.string(),
    leaseOwner: z.string(),
    startedAt: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type Job = z.infer<typeof jobSchema>;

/**
 * The worker's jobs: the work upstream runs in background threads after answering (set the boot
 * device and reboot after a start, power off and finish after processing, abort, reapply). A Lambda
 * does nothing after it has answered, so the API enqueues a job on a durable queue and the worker runs
 * it (docs/design.md#jobs).
 *
 * Every job is idempotent under redelivery: it names the introspection it belongs to (`startedAt`),
 * and the worker acts only while the node's state and `started_at` still say the job is due; the lease
 * keeps two deliveries from running at once.
 *
 * To add a job type: add its variant to {@link jobSchema}, write its {@link JobHandler} next to the use
 * case that enqueues it, and add it to the job table in `lib/introspection/use-cases.ts` (the
 * {@link JobTable} type makes the compiler insist).
 *
 * @example
 * ```ts
 * await queue.send({ type: 'introspect', uuid, startedAt: jobStamp(nodeInfo.startedAt) });
 * ```
 */
import * as z from 'zod';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import { toStoredTimestamp } from '#lib/domain/timestamps.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';

export const jobSchema = z.discriminatedUnion('type', [
  /** After a start with managed boot: MAC lookup attributes, PXE boot device, reboot, `wait`. */
  z.object({
    type: z.literal('introspect'),
    uuid: z.string(),
    startedAt: z.string(),
    /** The power slot (upstream's introspection_delay): not before this time (epoch ms). */
    notBeforeMs: z.number().optional(),
    /**
     * Whether the PXE boot device is set persistently, from the node the start read (so the worker
     * does not read it again); absent in jobs queued before it was carried: the worker reads the node.
     */
    persistentBoot: z.boolean().optional(),
  }),
  /** After processing: power off (when wanted) and `finish`, holding the callback's lease. */
  z.object({
    type: z.literal('finish'),
    uuid: z.string(),
    startedAt: z.string(),
    powerOff: z.boolean(),
    /** The lease the callback hands over; absent when the clean-up's recovery runs it, holding the lease. */
    leaseOwner: z.string().optional(),
  }),
  /**
   * Processing that a callback could not complete (or that the clean-up found interrupted): the
   * pipeline again on the stored unprocessed data, then power off and `finish` (docs/design.md#recovery).
   */
  z.object({
    type: z.literal('process'),
    uuid: z.string(),
    startedAt: z.string(),
    powerOff: z.boolean(),
    leaseOwner: z.string().optional(),
  }),
  /** After an accepted abort (the `abort` event is already recorded): power off, `abort_end`. */
  z.object({ type: z.literal('abort'), uuid: z.string(), leaseOwner: z.string().optional() }),
  /** Reapply processing to the stored unprocessed data (or to `data` when storing is off). */
  z.object({
    type: z.literal('reapply'),
    uuid: z.string(),
    leaseOwner: z.string().optional(),
    startedAt: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type Job = z.infer<typeof jobSchema>;
export type JobType = Job['type'];
/** The job of one type. */
export type JobOf<T extends JobType> = Extract<Job, { type: T }>;

/** What the worker does for one job type, on the node locked (and re-read) for it. */
export interface JobHandler<J extends Job = Job> {
  /** The node states in which the job is still due; in any other, a delivery is skipped. */
  readonly dueIn: readonly IntrospectionState[];
  /** Do the job; a failure it records on the node (state `error`) ends it, anything else is retried. */
  run(nodeInfo: NodeInfo, job: J): Promise<void>;
}

/** The worker's table: the handler of every job type. */
export type JobTable = { readonly [T in JobType]: JobHandler<JobOf<T>> };

/** Enqueues a job (the request side of a use case). */
export interface JobSubmitter {
  /** Enqueue `job`; if the queue refuses it, run it before answering rather than lose it. */
  submit(job: Job): Promise<void>;
}

/** How a job names the introspection run it belongs to: the node's `started_at`, stored form. */
export function jobStamp(startedAt: Date | null): string {
  return startedAt === null ? '' : toStoredTimestamp(startedAt);
}

/**
 * The ramdisk callback (`POST /v1/continue`, upstream `process.py`): pre-processing, lookup, then
 * processing on the node found, locked; the answer `{uuid}` goes back while the `finish` job (power
 * off, then `finish`) runs in the worker, holding the lease the request hands over.
 *
 * @example
 * ```ts
 * const { uuid } = await callback.process(ramdiskData); // 200
 * ```
 */
import {
  InspectorError,
  InvalidIntrospectionData,
  IronicError,
  IronicUnavailable,
  PreprocessingFailed,
  UnexpectedProcessingError,
} from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { assertIntrospectable, isDeployed, provisionState } from '#lib/domain/provision-states.ts';
import {
  isTransientFailure,
  type JobHandler,
  type JobOf,
  type JobSubmitter,
  jobStamp,
} from '#lib/introspection/jobs.ts';
import { type LookupOptions, lookupNode } from '#lib/introspection/lookup.ts';
import { triggersFsmErrorTransition } from '#lib/node/fsm-decorators.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingPipeline } from '#lib/processing/pipeline.ts';

/** What the callback needs. */
export interface ContinueIntrospectionOptions extends LookupOptions {
  readonly nodeCache: LookupOptions['nodeCache'] & Pick<NodeCache, 'storeIntrospectionData'>;
  readonly pipeline: ProcessingPipeline;
  readonly jobs: JobSubmitter;
  readonly logger: Logger;
  /** `[processing]store_data`. */
  readonly storeData: 's3' | 'none';
  /** `[processing]power_off`. */
  readonly powerOff: boolean;
}

/** The ramdisk callback. */
export class ContinueIntrospection {
  readonly #options: ContinueIntrospectionOptions;

  constructor(options: ContinueIntrospectionOptions) {
    this.#options = options;
  }

  /**
   * Pre-processing hooks, lookup, then processing on the found node.
   *
   * @throws InvalidIntrospectionData (400) for a body that is not a JSON object
   * @throws PreprocessingFailed (400) with every pre-processing or lookup failure (the node, if
   * found, goes to `error` with them)
   * @throws UnexpectedProcessingError (500) when Ironic fails under processing
   */
  async process(body: unknown): Promise<{ uuid: string }> {
    InvalidIntrospectionData.assertObject(body);
    const data: IntrospectionDocument = body;
    const { logs: _logs, ...unprocessed } = structuredClone(data);

    const failures = this.#options.pipeline.preprocess(data);
    const nodeInfo = await lookupNode(this.#options, data, failures);

    if (failures.length > 0 || nodeInfo === undefined) {
      if (nodeInfo !== undefined) await this.#failQuietly(nodeInfo, failures.join('\n'));
      throw new PreprocessingFailed(failures);
    }
    if (nodeInfo.finishedAt !== null) {
      await nodeInfo.releaseLock();
      throw new InspectorError(`Node processing already finished with error: ${nodeInfo.error}`);
    }
    // Whether processing can be run again from stored data (docs/design.md#recovery).
    let unprocessedStored = false;
    if (this.#options.storeData !== 'none') {
      try {
        await this.#options.nodeCache.storeIntrospectionData(nodeInfo.uuid, unprocessed, {
          processed: false,
        });
        unprocessedStored = true;
      } catch (err) {
        this.#options.logger.error('Failed to store unprocessed data', {
          node: nodeInfo.uuid,
          error: String(err),
        });
      }
    }
    let node: IronicNode;
    try {
      node = await nodeInfo.ironic.node();
    } catch (err) {
      await this.#failQuietly(nodeInfo, (err as Error).message);
      throw err;
    }
    try {
      return await this.#processNode(nodeInfo, node, data);
    } catch (err) {
      // Ironic failing under processing is not the caller's fault: upstream's 500 "Unexpected
      // exception", not a 4xx with Ironic's text.
      if (
        err instanceof InspectorError &&
        !(err instanceof IronicError || err instanceof IronicUnavailable)
      ) {
        await this.#failQuietly(nodeInfo, err.message);
        throw err;
      }
      // A failure a later try can get past (Ironic unreachable, storage throttled, S3 down) once the
      // node is processing, with the ramdisk's data stored: the worker processes it again from that
      // data (docs/design.md#recovery) instead of the introspection failing.
      const unexpected = new UnexpectedProcessingError(err as Error);
      if (isTransientFailure(err) && unprocessedStored) {
        if (await this.#resumeLater(nodeInfo, node)) return { uuid: nodeInfo.uuid };
        // The worker could not take it either: the step stays due on the node, for the clean-up.
        throw unexpected;
      }
      await this.#failQuietly(nodeInfo, unexpected.message);
      throw unexpected;
    }
  }

  /** What the finish will do about power: off, unless boot is not managed or a deployed node stays on. */
  #powerOff(nodeInfo: NodeInfo, node: IronicNode): boolean {
    const keepPowerOn = this.#options.permitActiveIntrospection && isDeployed(node);
    return keepPowerOn || !nodeInfo.manageBoot ? false : this.#options.powerOff;
  }

  /**
   * Upstream `_process_node`: strict `process`, hooks, processed data; `_finish` to the worker. The
   * node's outbox says which step is due at each point (docs/design.md#recovery): `process` from the
   * `process` event (the same write) until the processed data is stored, then `finish`. A node found
   * still `processing` with one of those steps due (an earlier callback was interrupted and its lease
   * ran out; a live one would hold it) is processed again with this callback's data instead of failing
   * the strict event.
   */
  async #processNode(
    nodeInfo: NodeInfo,
    node: IronicNode,
    data: IntrospectionDocument,
  ): Promise<{ uuid: string }> {
    const { storeData, logger } = this.#options;
    const powerOff = this.#powerOff(nodeInfo, node);
    const due = nodeInfo.dueJob?.type;
    if ((await nodeInfo.state()) === 'processing' && (due === 'process' || due === 'finish')) {
      logger.warn('Node is still processing an interrupted callback; processing this one', {
        node: nodeInfo.uuid,
      });
      await nodeInfo.recordProgress({ type: 'process', powerOff });
    } else {
      await nodeInfo.fsmEvent('process', { strict: true, due: { type: 'process', powerOff } });
    }
    assertIntrospectable(node, this.#options);
    await this.#options.pipeline.updateNode(nodeInfo, data);
    if (storeData !== 'none') await this.#options.nodeCache.storeIntrospectionData(nodeInfo.uuid, data);
    await nodeInfo.recordProgress({ type: 'finish', powerOff });
    const leaseOwner = await nodeInfo.handOffLock();
    // From here the finish belongs to the worker (or the inline fallback): a failure there is
    // recorded by the job itself, not by this request, and the callback itself succeeded (upstream's
    // _finish runs in the background too). A job lost on the way is re-run by the clean-up from the
    // node's outbox.
    try {
      await this.#options.jobs.submit({
        type: 'finish',
        uuid: nodeInfo.uuid,
        startedAt: jobStamp(nodeInfo.startedAt),
        powerOff,
        leaseOwner,
      });
    } catch (err) {
      logger.error('Finishing the introspection failed; the clean-up finishes it from the outbox', {
        node: nodeInfo.uuid,
        error: String(err),
      });
    }
    return { uuid: nodeInfo.uuid };
  }

  /**
   * Hand an interrupted processing to the worker's `process` job, holding the lease; true when the
   * job is on its way (or ran). False when the node is not processing or the hand-over failed: the
   * lease is then released, and the clean-up's recovery runs the step due.
   */
  async #resumeLater(nodeInfo: NodeInfo, node: IronicNode): Promise<boolean> {
    try {
      const record = await nodeInfo.reload();
      if (record?.state !== 'processing') return false;
      const leaseOwner = await nodeInfo.handOffLock();
      await this.#options.jobs.submit({
        type: 'process',
        uuid: nodeInfo.uuid,
        startedAt: jobStamp(record.startedAt),
        powerOff: this.#powerOff(nodeInfo, node),
        leaseOwner,
      });
      return true;
    } catch (err) {
      this.#options.logger.error('Could not hand the processing to the worker; the clean-up will', {
        node: nodeInfo.uuid,
        error: String(err),
      });
      await nodeInfo.releaseLock();
      return false;
    }
  }

  /** finished(error) that never hides the failure being reported (an invalid event is only logged). */
  async #failQuietly(nodeInfo: NodeInfo, message: string): Promise<void> {
    try {
      await nodeInfo.finished('error', message);
    } catch (err) {
      this.#options.logger.error('Could not record the failure on the node', {
        node: nodeInfo.uuid,
        error: String(err),
      });
    }
  }
}

/** What finishing a node needs. */
export interface FinishOptions {
  readonly ironic: IronicApi | undefined;
  readonly logger: Logger;
}

/**
 * Upstream `_finish` (`triggers_fsm_error_transition`): power off unless not wanted (a node in
 * `enroll` may fail to), then `finish`; a failure moves the node to `error`, except one a later try
 * can get past (Ironic unreachable, storage), which leaves the finish due for the next try.
 */
export function finishIntrospection(
  options: FinishOptions,
): (nodeInfo: NodeInfo, args: { readonly powerOff: boolean }) => Promise<void> {
  const { logger } = options;
  const finish = triggersFsmErrorTransition({ logger, retryable: isTransientFailure })(
    async (nodeInfo: NodeInfo, { powerOff }: { readonly powerOff: boolean }) => {
      if (powerOff) {
        try {
          await requireIronic(options).setPowerState(nodeInfo.uuid, 'power off');
        } catch (err) {
          if (isTransientFailure(err)) throw err;
          if (provisionState(await nodeInfo.ironic.node()) !== 'enroll') {
            throw new InspectorError(
              `Failed to power off node ${nodeInfo.uuid}, check its power management configuration: ${(err as Error).message}`,
            );
          }
          logger.info('Power off failed for a node in enroll; ignoring', { node: nodeInfo.uuid });
        }
      }
      await nodeInfo.finished('finish');
      logger.info('Introspection finished successfully', { node: nodeInfo.uuid });
    },
  );
  return async (nodeInfo, args) => {
    await finish(nodeInfo, args);
  };
}

/** The `finish` job: {@link finishIntrospection} for a node still `processing` in the same run. */
export function finishJob(options: FinishOptions): JobHandler<JobOf<'finish'>> {
  const finish = finishIntrospection(options);
  return {
    dueIn: ['processing'],
    async run(nodeInfo, job) {
      await finish(nodeInfo, { powerOff: job.powerOff });
    },
  };
}

/**
 * The ramdisk callback (`POST /v1/continue`, upstream `process.py`): pre-processing, lookup, then
 * processing on the node found, locked (hooks, processed data, introspection rules); the answer `{uuid}` goes back while the `finish` job (power
 * off, then `finish`) runs in the worker, holding the lease the request hands over.
 *
 * Failed lookups are limited per source address (`LOOKUP_FAILURES_PER_MINUTE`): each callback takes
 * an attempt from its source's budget before the lookup and gives it back when a node matched, so a
 * sweep over made-up MACs or BMC addresses is slow, and counted (`LookupFailures`, `LookupsThrottled`).
 * With `LOOKUP_REQUIRE_PORT_MAC`, failures (a `ramdisk_error` among them) reported by a callback that
 * did not prove itself by a port MAC leave the node as it is.
 *
 * @example
 * ```ts
 * const { uuid } = await callback.process(ramdiskData, { sourceIp: '192.0.2.10' }); // 200
 * ```
 */
import {
  InspectorError,
  InvalidIntrospectionData,
  IronicAuthError,
  IronicError,
  IronicFailureHidden,
  IronicUnavailable,
  PreprocessingFailed,
  TooManyFailedLookups,
  UnexpectedProcessingError,
} from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { assertIntrospectable, isDeployed, provisionState } from '#lib/domain/provision-states.ts';
import { assertReadableBack } from '#lib/introspection/data-size.ts';
import { type JobHandler, type JobOf, type JobSubmitter, jobStamp } from '#lib/introspection/jobs.ts';
import { type LookupOptions, lookupNode } from '#lib/introspection/lookup.ts';
import { triggersFsmErrorTransition } from '#lib/node/fsm-decorators.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { LookupFailureLimiter } from '#lib/ports/lookup-failure-limiter.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { ProcessingPipeline } from '#lib/processing/pipeline.ts';
import { applyIntrospectionRules } from '#lib/rules/apply.ts';

/** What the callback needs. */
export interface ContinueIntrospectionOptions extends LookupOptions {
  readonly nodeCache: LookupOptions['nodeCache'] & Pick<NodeCache, 'storeIntrospectionData'>;
  readonly pipeline: ProcessingPipeline;
  /** Introspection rules, applied once the processed data is stored; none without a store. */
  readonly rules?: RuleStore | undefined;
  readonly jobs: JobSubmitter;
  readonly logger: Logger;
  /** `[processing]store_data`. */
  readonly storeData: 's3' | 'none';
  /** `[processing]power_off`. */
  readonly powerOff: boolean;
  /** Failed lookups per source address. */
  readonly lookupLimiter: LookupFailureLimiter;
  /** The largest document `GET …/data` answers (`MAX_BODY_BYTES`). */
  readonly maxDataBytes: number;
}

/** The classes of Ironic's failures (as an UnexpectedProcessingError names its cause). */
const IRONIC_ERRORS = new Set(['IronicError', 'IronicUnavailable', 'IronicAuthError']);

/** Ironic down, stalling, failing in itself or refusing our credentials: a retry may succeed. */
function isIronicOutage(err: unknown): boolean {
  return (
    err instanceof IronicUnavailable ||
    err instanceof IronicAuthError ||
    (err instanceof IronicError && err.ironicStatus >= 500)
  );
}

/** Who sent the callback, as the API saw it. */
export interface CallbackSource {
  /** The connection's peer address (not a header); undefined counts as one shared unknown source. */
  readonly sourceIp?: string | undefined;
}

/** The ramdisk callback. */
export class ContinueIntrospection {
  readonly #options: ContinueIntrospectionOptions;

  constructor(options: ContinueIntrospectionOptions) {
    this.#options = options;
  }

  /**
   * Pre-processing hooks, lookup, then processing on the found node. The caller is not
   * authenticated, so what Ironic said stays in the log (and in the node's `error`): the answer says
   * only that Ironic failed (docs/design.md#input-limits).
   *
   * @throws InvalidIntrospectionData (400) for a body that is not a JSON object
   * @throws TooManyFailedLookups (429) when the source spent its budget of failed lookups
   * @throws ProcessedDataTooLarge (413) when the processed data could not be read back, nothing stored
   * @throws PreprocessingFailed (400) with every pre-processing or lookup failure (the node, if
   * found and proven, goes to `error` with them)
   * @throws IronicFailureHidden 503 when Ironic is down or stalls before processing (the node stays
   * `waiting`, nothing stored: the ramdisk's retry can succeed), 500 when Ironic fails under processing
   */
  async process(body: unknown, source: CallbackSource = {}): Promise<{ uuid: string }> {
    try {
      return await this.#process(body, source);
    } catch (err) {
      throw this.#forCaller(err);
    }
  }

  /** An error as the unauthenticated caller may see it; Ironic's own words only in the log. */
  #forCaller(err: unknown): unknown {
    const fromIronic =
      isIronicOutage(err) ||
      err instanceof IronicError ||
      (err instanceof UnexpectedProcessingError && IRONIC_ERRORS.has(err.causeName));
    if (!fromIronic) return err;
    this.#options.logger.error('Ramdisk callback failed in Ironic', { error: String(err) });
    if (err instanceof UnexpectedProcessingError) {
      return new IronicFailureHidden(
        `Unexpected exception ${err.causeName} during processing; the introspection status holds the details`,
        500,
      );
    }
    if (isIronicOutage(err))
      return new IronicFailureHidden('Ironic is not available, please retry later', 503);
    const status = (err as IronicError).ironicStatus;
    return new IronicFailureHidden(
      `Ironic refused a request (HTTP ${status})`,
      (err as IronicError).httpStatus,
    );
  }

  async #process(body: unknown, source: CallbackSource): Promise<{ uuid: string }> {
    InvalidIntrospectionData.assertObject(body);
    const data: IntrospectionDocument = body;
    const { logs: _logs, ...unprocessed } = structuredClone(data);
    const { lookupLimiter, logger, metrics } = this.#options;

    const admission = await lookupLimiter.admit(source.sourceIp ?? 'unknown');
    if (!admission.allowed) {
      metrics.count('LookupFailures');
      metrics.count('LookupsThrottled');
      logger.warn('Ramdisk callback refused: too many failed lookups from its source address', {
        source: source.sourceIp,
      });
      throw new TooManyFailedLookups(admission.retryAfterSeconds);
    }
    const failures = this.#options.pipeline.preprocess(data);
    if (failures.length === 0 && this.#options.storeData !== 'none') {
      assertReadableBack(data, this.#options.maxDataBytes);
    }
    const match = await lookupNode(this.#options, data, failures);
    if (match !== undefined) await this.#giveBack(admission.attempt);
    const nodeInfo = match?.nodeInfo;

    if (failures.length > 0 || nodeInfo === undefined) {
      if (match?.proven === true) await this.#failQuietly(match.nodeInfo, failures.join('\n'));
      else if (match !== undefined) {
        // Anyone can report an error with a node's BMC address: only its ramdisk (a MAC of its
        // ports) may fail it. The node waits on, as for no callback at all.
        logger.warn('Failures from a callback not proven by a port MAC; the node is left as it is', {
          node: match.nodeInfo.uuid,
          failures,
        });
        await match.nodeInfo.releaseLock();
      }
      throw new PreprocessingFailed(failures);
    }
    if (nodeInfo.finishedAt !== null) {
      await nodeInfo.releaseLock();
      throw new InspectorError(`Node processing already finished with error: ${nodeInfo.error}`);
    }
    // Ironic first: while it is down or stalls, nothing is stored and the node stays `waiting`.
    let node: IronicNode;
    try {
      node = await nodeInfo.ironic.node();
    } catch (err) {
      if (isIronicOutage(err)) await nodeInfo.releaseLock();
      else await this.#failQuietly(nodeInfo, (err as Error).message);
      throw err;
    }
    if (this.#options.storeData !== 'none') {
      try {
        await this.#options.nodeCache.storeIntrospectionData(nodeInfo.uuid, unprocessed, {
          processed: false,
        });
      } catch (err) {
        this.#options.logger.error('Failed to store unprocessed data', {
          node: nodeInfo.uuid,
          error: String(err),
        });
      }
    }
    try {
      return await this.#processNode(nodeInfo, node, data);
    } catch (err) {
      // Ironic failing under processing is not the caller's fault: upstream's 500 "Unexpected
      // exception", not a 4xx with Ironic's text.
      if (
        err instanceof InspectorError &&
        !(err instanceof IronicError || err instanceof IronicUnavailable || err instanceof IronicAuthError)
      ) {
        await this.#failQuietly(nodeInfo, err.message);
        throw err;
      }
      const unexpected = new UnexpectedProcessingError(err as Error);
      await this.#failQuietly(nodeInfo, unexpected.message);
      throw unexpected;
    }
  }

  /** Upstream `_process_node`: strict `process`, hooks, processed data; `_finish` to the worker. */
  async #processNode(
    nodeInfo: NodeInfo,
    node: IronicNode,
    data: IntrospectionDocument,
  ): Promise<{ uuid: string }> {
    const { permitActiveIntrospection, storeData, logger } = this.#options;
    await nodeInfo.fsmEvent('process', { strict: true });
    assertIntrospectable(node, this.#options);
    const keepPowerOn = permitActiveIntrospection && isDeployed(node);
    await this.#options.pipeline.updateNode(nodeInfo, data);
    if (storeData !== 'none') await this.#options.nodeCache.storeIntrospectionData(nodeInfo.uuid, data);
    // Upstream's point: after the hooks and the stored data, on the node re-read from Ironic. A `fail`
    // action (or a rule that cannot be evaluated) throws: the node ends in `error`, the callback 400s.
    await applyIntrospectionRules({ rules: this.#options.rules, logger }, nodeInfo, data);
    const powerOff = keepPowerOn || !nodeInfo.manageBoot ? false : this.#options.powerOff;
    const leaseOwner = await nodeInfo.handOffLock();
    // From here the finish belongs to the worker (or the inline fallback): a failure there is
    // recorded by the job itself, not by this request, and the callback itself succeeded (upstream's
    // _finish runs in the background too).
    try {
      await this.#options.jobs.submit({
        type: 'finish',
        uuid: nodeInfo.uuid,
        startedAt: jobStamp(nodeInfo.startedAt),
        powerOff,
        leaseOwner,
      });
    } catch (err) {
      logger.error('Finishing the introspection failed; the clean-up times it out if nothing else does', {
        node: nodeInfo.uuid,
        error: String(err),
      });
    }
    return { uuid: nodeInfo.uuid };
  }

  /** The lookup matched: its attempt goes back to the source's budget (best effort). */
  async #giveBack(attempt: Parameters<LookupFailureLimiter['succeeded']>[0]): Promise<void> {
    try {
      await this.#options.lookupLimiter.succeeded(attempt);
    } catch (err) {
      this.#options.logger.warn('Could not give a lookup attempt back', { error: String(err) });
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

/**
 * The `finish` job (upstream `_finish`, `triggers_fsm_error_transition`): power off unless not wanted
 * (a node in `enroll` may fail to), then `finish`; a failure moves the node to `error`.
 */
export function finishJob(options: {
  readonly ironic: IronicApi | undefined;
  readonly logger: Logger;
}): JobHandler<JobOf<'finish'>> {
  const { logger } = options;
  const finish = triggersFsmErrorTransition({ logger })(
    async (nodeInfo: NodeInfo, { powerOff }: { readonly powerOff: boolean }) => {
      if (powerOff) {
        try {
          await requireIronic(options).setPowerState(nodeInfo.uuid, 'power off');
        } catch (err) {
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
  return {
    dueIn: ['processing'],
    async run(nodeInfo, job) {
      await finish(nodeInfo, { powerOff: job.powerOff });
    },
  };
}

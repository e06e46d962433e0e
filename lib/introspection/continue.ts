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
import { assertIntrospectable, isDeployed } from '#lib/domain/provision-states.ts';
import { isIronicOutage, isTransientFailure } from '#lib/domain/retryable-failures.ts';
import { assertReadableBack } from '#lib/introspection/data-size.ts';
import { type JobSubmitter, jobStamp } from '#lib/introspection/jobs.ts';
import { type LookupMatch, type LookupOptions, lookupNode } from '#lib/introspection/lookup.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicNode } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { LookupFailureLimiter } from '#lib/ports/lookup-failure-limiter.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { ProcessingPipeline } from '#lib/processing/pipeline.ts';
import { applyIntrospectionRules, prefetchRules } from '#lib/rules/lazy.ts';

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
    // The attempt goes back to the source's budget while the node is processed (it never throws).
    const givenBack = match === undefined ? undefined : this.#giveBack(admission.attempt);
    try {
      return await this.#processMatch(match, failures, data, unprocessed);
    } finally {
      await givenBack;
    }
  }

  /** After the lookup: the failures reported, or the node found processed. */
  async #processMatch(
    match: LookupMatch | undefined,
    failures: readonly string[],
    data: IntrospectionDocument,
    unprocessed: IntrospectionDocument,
  ): Promise<{ uuid: string }> {
    const { logger } = this.#options;
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
    const rules = prefetchRules(this.#options.rules); // read while the hooks run
    await this.#options.pipeline.updateNode(nodeInfo, data);
    if (storeData !== 'none') await this.#options.nodeCache.storeIntrospectionData(nodeInfo.uuid, data);
    // Upstream's point: after the hooks and the stored data, on the node re-read from Ironic. A `fail`
    // action (or a rule that cannot be evaluated) throws: the node ends in `error`, the callback 400s.
    await applyIntrospectionRules({ rules, logger }, nodeInfo, data);
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

  /** The lookup matched: its attempt goes back to the source's budget (best effort). */
  async #giveBack(attempt: Parameters<LookupFailureLimiter['succeeded']>[0]): Promise<void> {
    try {
      await this.#options.lookupLimiter.succeeded(attempt);
    } catch (err) {
      this.#options.logger.warn('Could not give a lookup attempt back', { error: String(err) });
    }
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

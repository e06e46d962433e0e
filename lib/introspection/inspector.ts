/**
 * What the v1 API, the worker and the clean-up do, over the node cache and Ironic: upstream's
 * `introspect.py`, `process.py` and the conductor's abort, reapply and periodic tasks.
 *
 * Requests answer after the synchronous part (checks, records, the ramdisk callback's processing);
 * the rest (boot device and reboot, power off and finish, abort, reapply) is a {@link Job} on the
 * worker's queue: nothing runs after an answer.
 *
 * @example
 * ```ts
 * await inspector.startIntrospection('node-0', { manageBoot: true }); // 202 {}
 * const { uuid } = await inspector.continueIntrospection(ramdiskData); // 200
 * ```
 */
import type { InspectorConfig } from '#lib/config.ts';
import {
  InspectorError,
  IntrospectionDataStoreDisabled,
  InvalidIntrospectionData,
  IronicError,
  IronicUnavailable,
  NodeLockedError,
  NodeStateInvalidEvent,
  NotFoundInCacheError,
  pyList,
} from '#lib/errors.ts';
import { fsmTransition, releaseLock, triggersFsmErrorTransition } from '#lib/fsm-decorators.ts';
import type { Job } from '#lib/introspection/jobs.ts';
import { bmcAddresses } from '#lib/ironic/bmc-address.ts';
import { ironicNode, requireIronic, withIronicRetries } from '#lib/ironic/calls.ts';
import type { NodeCache, NodeListOptions } from '#lib/node-cache.ts';
import { type NodeCacheDeps, NodeInfo } from '#lib/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import {
  inventoryProblems,
  type ProcessingHook,
  processingHooks,
  reportedBmcAddresses,
} from '#lib/processing/hooks.ts';
import { applyIntrospectionRules } from '#lib/rules/apply.ts';
import { toStoredTimestamp } from '#lib/timestamps.ts';

/** Provision states a node may be introspected in (upstream `VALID_STATES`). */
export const VALID_PROVISION_STATES = [
  'enroll',
  'manageable',
  'inspecting',
  'inspect wait',
  'inspect failed',
];
/** Provision states of deployed nodes (active introspection, `permit_active_introspection`). */
export const VALID_ACTIVE_STATES = ['active', 'rescue'];

/** Retries of one Ironic call stop after this long (the worker runs for at most 90 s). */
const IRONIC_RETRY_BUDGET_MS = 25_000;

/** What the inspector runs on. */
export interface InspectorDeps {
  readonly config: InspectorConfig;
  readonly nodeCache: NodeCache;
  readonly cacheDeps: NodeCacheDeps;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** Introspection rules, applied at the end of processing; none without a store. */
  readonly rules?: RuleStore;
}

/** The introspection operations. One instance per process. */
export class Inspector {
  readonly #d: InspectorDeps;
  readonly #hooks: ProcessingHook[];
  /** Upstream `_do_introspect`: MAC lookup attributes, PXE boot device, reboot; then `wait`. */
  readonly #doIntrospect: (nodeInfo: NodeInfo) => Promise<void>;
  /** Upstream `_finish`: power off (unless not wanted), then `finish`. */
  readonly #finish: (nodeInfo: NodeInfo, powerOff: boolean) => Promise<void>;

  constructor(deps: InspectorDeps) {
    this.#d = deps;
    this.#hooks = processingHooks(deps.config.processing, deps.logger);
    const errorTransition = { logger: deps.logger };
    this.#doIntrospect = releaseLock(
      fsmTransition('wait', errorTransition)((nodeInfo: NodeInfo) => this.#introspect(nodeInfo)),
    );
    this.#finish = triggersFsmErrorTransition(errorTransition)((nodeInfo: NodeInfo, powerOff: boolean) =>
      this.#powerOffAndFinish(nodeInfo, powerOff),
    );
  }

  get nodeCache(): NodeCache {
    return this.#d.nodeCache;
  }

  #ironic(): IronicApi {
    return requireIronic(this.#d.cacheDeps);
  }

  /** @throws InspectorError 'Invalid provision state for introspection: …' */
  #checkProvisionState(node: IronicNode): void {
    const state = (node.provision_state ?? '').toLowerCase();
    if (VALID_PROVISION_STATES.includes(state)) return;
    if (this.#d.config.processing.permitActiveIntrospection && VALID_ACTIVE_STATES.includes(state)) return;
    throw new InspectorError(
      `Invalid provision state for introspection: "${state}", valid states are "${pyList(VALID_PROVISION_STATES)}"`,
    );
  }

  // ---- start -------------------------------------------------------------------------------------

  /**
   * `POST /v1/introspection/<node_id>`: check the node in Ironic, record the start (BMC lookup
   * attributes), then hand the boot work to the worker (managed boot) or finish the set-up here.
   */
  async startIntrospection(nodeId: string, options: { manageBoot: boolean }): Promise<void> {
    const node = await ironicNode(this.#ironic(), nodeId);
    this.#checkProvisionState(node);
    if (options.manageBoot) {
      const validation = await this.#ironic().validateNode(node.uuid);
      if (validation.power?.result === false) {
        throw new InspectorError(
          `Failed validation of power interface: ${validation.power.reason ?? 'unknown reason'}`,
        );
      }
    }
    const bmc = await bmcAddresses(node, {
      logger: this.#d.logger,
      fields: this.#d.cacheDeps.ipmiAddressFields,
    });
    const nodeInfo = await this.#d.nodeCache.startIntrospection(node.uuid, {
      manageBoot: options.manageBoot,
      attributes: { bmc_address: bmc },
      node,
    });
    this.#d.logger.info('Introspection started', { node: node.uuid, manageBoot: options.manageBoot });
    if (!options.manageBoot) {
      // Without managed boot there is nothing slow to do: set up lookup and wait, answering the errors.
      await this.#doIntrospect(nodeInfo);
      return;
    }
    try {
      // Upstream's introspection_delay: power actions at least that far apart, across all workers.
      // The reboot job waits in the queue for its slot instead of a worker sleeping for it.
      const delayMs = this.#d.config.introspectionDelaySeconds * 1000;
      const nowMs = this.#d.cacheDeps.now().getTime();
      const slotMs = delayMs > 0 ? await this.#d.cacheDeps.nodes.reservePowerSlot(nowMs, delayMs) : nowMs;
      await this.#d.queue.send(
        { type: 'introspect', uuid: node.uuid, startedAt: stamp(nodeInfo.startedAt), notBeforeMs: slotMs },
        { delayMs: slotMs - nowMs },
      );
    } catch (err) {
      const message = `Failed to submit introspection job: ${(err as Error).message}`;
      await nodeInfo.finished('error', message);
      throw new InspectorError(message);
    }
  }

  /** The body of {@link Inspector.#doIntrospect}. */
  async #introspect(nodeInfo: NodeInfo): Promise<void> {
    await nodeInfo.acquireLock(true);
    const macs = Object.keys(await nodeInfo.ports());
    if (macs.length > 0) {
      await nodeInfo.addAttribute('mac', macs);
      this.#d.logger.info(`Whitelisting MAC's ${macs.join(', ')} for a PXE boot`, { node: nodeInfo.uuid });
    }
    const attributes = await nodeInfo.attributes();
    if (this.#d.config.processing.nodeNotFoundHook === undefined && Object.keys(attributes).length === 0) {
      throw new InspectorError(
        "No lookup attributes were found, inspector won't be able to find it after introspection, consider creating ironic ports or providing an IPMI address",
      );
    }
    this.#d.logger.info('The following attributes will be used for look up', {
      node: nodeInfo.uuid,
      attributes,
    });
    if (!nodeInfo.manageBoot) {
      this.#d.logger.info(
        `Introspection environment is ready, external power on is required within ${this.#d.config.timeoutSeconds} seconds`,
        { node: nodeInfo.uuid },
      );
      return;
    }
    const node = await nodeInfo.node();
    try {
      await this.#withRetries(() => this.#ironic().setBootDevice(nodeInfo.uuid, 'pxe', persistentBoot(node)));
    } catch (err) {
      throw new InspectorError(`Failed to set boot device to PXE: ${(err as Error).message}`);
    }
    try {
      await this.#withRetries(() => this.#ironic().setPowerState(nodeInfo.uuid, 'rebooting'));
    } catch (err) {
      throw new InspectorError(
        `Failed to power on the node, check its power management configuration: ${(err as Error).message}`,
      );
    }
    this.#d.logger.info('Introspection started successfully', { node: nodeInfo.uuid });
  }

  /**
   * Upstream's `call_with_retries` (5 attempts), bounded in time too: a function must record the
   * failure before its own timeout, so retries stop after {@link IRONIC_RETRY_BUDGET_MS}.
   */
  #withRetries(call: () => Promise<void>): Promise<void> {
    return withIronicRetries(call, {
      delayMs: this.#d.cacheDeps.ironicRetryDelayMs ?? 1000,
      budgetMs: IRONIC_RETRY_BUDGET_MS,
    });
  }

  // ---- status, list, data ------------------------------------------------------------------------

  /** `GET /v1/introspection/<node_id>`. */
  async status(nodeId: string): Promise<NodeInfo> {
    const nodeInfo = await this.#d.nodeCache.getNode(nodeId);
    await nodeInfo.state();
    return nodeInfo;
  }

  /** `GET /v1/introspection`. */
  async list(options: NodeListOptions): Promise<NodeInfo[]> {
    return this.#d.nodeCache.getNodeList(options);
  }

  /** `GET /v1/introspection/<node_id>/data[/unprocessed]`: the store only, not the node cache. */
  async introspectionData(nodeId: string, processed: boolean): Promise<IntrospectionDocument> {
    if (this.#d.config.storeData === 'none') throw new IntrospectionDataStoreDisabled();
    return this.#d.nodeCache.getIntrospectionData(nodeId, processed);
  }

  // ---- abort -------------------------------------------------------------------------------------

  /**
   * `POST …/abort`: 404 if not cached, 409 if busy; otherwise the `abort` event is recorded now
   * (decisions.md item 8) and power-off and `abort_end` go to the worker. An abort that is not valid
   * in the node's state is accepted and does nothing, as upstream.
   */
  async abort(nodeId: string): Promise<void> {
    const nodeInfo = await this.#d.nodeCache.getNode(nodeId);
    if (!(await nodeInfo.acquireLock(false))) throw new NodeLockedError();
    try {
      await nodeInfo.fsmEvent('abort');
    } catch (err) {
      await nodeInfo.releaseLock();
      if (err instanceof NodeStateInvalidEvent) return;
      throw err;
    }
    const leaseOwner = await nodeInfo.handOffLock();
    await this.#enqueueOrRun({ type: 'abort', uuid: nodeInfo.uuid, leaseOwner });
  }

  // ---- reapply -----------------------------------------------------------------------------------

  /**
   * `POST …/data/unprocessed`: store the body as the node's unprocessed data (when given), check the
   * data and the node, take the lock without waiting (409 when busy), record the restart (`started_at`
   * and the `reapply` event, so the job can tell a redelivery from a new reapply) and hand the
   * reprocessing to the worker. An empty object counts as no body, as upstream's `if not data`.
   */
  async reapply(nodeId: string, body: unknown): Promise<void> {
    if (body !== undefined) InvalidIntrospectionData.assertObject(body);
    const given = body !== undefined && Object.keys(body).length > 0 ? body : undefined;
    const uuid = await this.#d.nodeCache.resolveNodeId(nodeId);
    const storing = this.#d.config.storeData !== 'none';
    if (given !== undefined) {
      if (storing) await this.#d.nodeCache.storeIntrospectionData(uuid, given, false);
    } else {
      if (!storing) {
        throw new InspectorError(
          'Inspector is not configured to store introspection data. Set the [processing]store_data configuration option to change this.',
        );
      }
      await this.#d.nodeCache.getIntrospectionData(uuid, false);
    }
    const nodeInfo = await this.#d.nodeCache.getNode(uuid);
    if (!(await nodeInfo.acquireLock(false)))
      throw new NodeLockedError('Node locked, please, try again later');
    try {
      // The event first (upstream's fsm_event_before): an invalid reapply must change nothing. Then
      // started_at restarts; finished_at and error stay as they were (upstream's reapply).
      await nodeInfo.fsmEvent('reapply');
      nodeInfo.startedAt = this.#d.cacheDeps.now();
      await nodeInfo.commit();
    } catch (err) {
      await nodeInfo.releaseLock();
      if (!(err instanceof NodeStateInvalidEvent)) throw err;
      // Accepted, as upstream (its background task only logs the failure).
      this.#d.logger.error(`Failed reapply for node ${uuid}: ${err.message}`, { node: uuid });
      return;
    }
    const leaseOwner = await nodeInfo.handOffLock();
    await this.#enqueueOrRun({
      type: 'reapply',
      uuid,
      leaseOwner,
      startedAt: stamp(nodeInfo.startedAt),
      ...(storing || given === undefined ? {} : { data: given }),
    });
  }

  // ---- the ramdisk callback ----------------------------------------------------------------------

  /**
   * `POST /v1/continue` (upstream `process`): pre-processing hooks, lookup, then processing on the
   * found node; answers `{uuid}` while power-off and `finish` go to the worker.
   */
  async continueIntrospection(body: unknown): Promise<{ uuid: string }> {
    InvalidIntrospectionData.assertObject(body);
    const data: IntrospectionDocument = body;
    const { logs: _logs, ...unprocessed } = structuredClone(data);

    const failures = this.#preprocess(data);
    const nodeInfo = await this.#lookup(data, failures);

    if (failures.length > 0 || nodeInfo === undefined) {
      if (nodeInfo !== undefined) await this.#failQuietly(nodeInfo, failures.join('\n'));
      throw new InspectorError(
        `The following failures happened during running pre-processing hooks:\n${failures.join('\n')}`,
      );
    }
    if (nodeInfo.finishedAt !== null) {
      await nodeInfo.releaseLock();
      throw new InspectorError(`Node processing already finished with error: ${nodeInfo.error}`);
    }
    if (this.#d.config.storeData !== 'none') {
      try {
        await this.#d.nodeCache.storeIntrospectionData(nodeInfo.uuid, unprocessed, false);
      } catch (err) {
        this.#d.logger.error('Failed to store unprocessed data', { node: nodeInfo.uuid, error: String(err) });
      }
    }
    let node: IronicNode;
    try {
      node = await nodeInfo.node();
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
      const message = `Unexpected exception ${(err as Error).name} during processing: ${(err as Error).message}`;
      await this.#failQuietly(nodeInfo, message);
      throw new InspectorError(message, 500);
    }
  }

  /**
   * Upstream `_run_pre_hooks`, for the callback and for reapply alike: the inventory check (decisions.md
   * item 6), then every hook's pre-processing. Returns the failures, never throws.
   */
  #preprocess(data: IntrospectionDocument): string[] {
    const failures: string[] = data.error ? [] : inventoryProblems(data);
    for (const hook of this.#hooks) {
      if (hook.beforeProcessing === undefined) continue;
      try {
        hook.beforeProcessing(data);
      } catch (err) {
        failures.push(
          err instanceof InspectorError
            ? `Preprocessing hook ${hook.name}: ${err.message}`
            : `Unexpected exception ${(err as Error).name} during preprocessing in hook ${hook.name}: ${(err as Error).message}`,
        );
      }
    }
    return failures;
  }

  /**
   * Upstream `_find_node_info`: the node for the callback, locked, or undefined with the reason added
   * to `failures`. With active introspection, a node Ironic knows as deployed is recorded (its other
   * errors reach the caller directly, as upstream); then the not-found hook, if configured.
   */
  async #lookup(data: IntrospectionDocument, failures: string[]): Promise<NodeInfo | undefined> {
    const bmc = reportedBmcAddresses(data);
    // Only well-formed entries: a ramdisk-supplied `all_interfaces` (when validation failed) may be junk.
    const macs = Object.values(
      typeof data.all_interfaces === 'object' && data.all_interfaces !== null ? data.all_interfaces : {},
    )
      .map((i) => (typeof i === 'object' && i !== null ? (i as { mac?: unknown }).mac : undefined))
      .filter((m): m is string => typeof m === 'string' && m !== '');
    try {
      return await this.#d.nodeCache.findNode({ bmc_address: bmc, mac: macs });
    } catch (err) {
      if (err instanceof NodeLockedError || !(err instanceof InspectorError)) throw err;
      this.#d.metrics.count('LookupFailures');
      if (!(err instanceof NotFoundInCacheError)) {
        failures.push(`Look up error: ${err.message}`);
        return undefined;
      }
      const { permitActiveIntrospection, nodeNotFoundHook, enrollNodeDriver } = this.#d.config.processing;
      if (permitActiveIntrospection) {
        try {
          const recorded = await this.#d.nodeCache.recordNode({ bmcAddresses: bmc, macs });
          await recorded.acquireLock(true);
          return recorded;
        } catch (recordError) {
          if (!(recordError instanceof NotFoundInCacheError)) throw recordError;
        }
      }
      if (nodeNotFoundHook !== 'enroll') {
        failures.push(`Look up error: ${err.message}`);
        return undefined;
      }
      try {
        const created = await this.#enroll(data, bmc, macs, enrollNodeDriver);
        if (created === null) {
          failures.push('Node not found hook returned nothing');
          return undefined;
        }
        await created.acquireLock(true);
        return created;
      } catch (hookError) {
        failures.push(`Node not found hook failed: ${(hookError as Error).message}`);
        return undefined;
      }
    }
  }

  /** The `enroll` node-not-found hook (discovery). */
  async #enroll(
    data: IntrospectionDocument,
    bmc: string[],
    macs: string[],
    driver: string,
  ): Promise<NodeInfo | null> {
    const ironic = this.#ironic();
    for (const mac of macs) {
      if ((await ironic.listPorts({ address: mac })).length > 0) {
        throw new InspectorError(`Port ${mac} already exists in Ironic`);
      }
    }
    const fields = bmc[0] === undefined ? {} : { driver_info: { ipmi_address: bmc[0] } };
    const created = await this.#d.nodeCache.createNode(driver, fields);
    if (created !== null) data.auto_discovered = true;
    return created;
  }

  /** Upstream `_process_node`: strict `process`, hooks, processed data; `_finish` to the worker. */
  async #processNode(
    nodeInfo: NodeInfo,
    node: IronicNode,
    data: IntrospectionDocument,
  ): Promise<{ uuid: string }> {
    await nodeInfo.fsmEvent('process', true);
    this.#checkProvisionState(node);
    const provisionState = (node.provision_state ?? '').toLowerCase();
    const keepPowerOn =
      this.#d.config.processing.permitActiveIntrospection && VALID_ACTIVE_STATES.includes(provisionState);
    await this.#runUpdateHooks(nodeInfo, data);
    if (this.#d.config.storeData !== 'none') {
      await this.#d.nodeCache.storeIntrospectionData(nodeInfo.uuid, data, true);
    }
    await applyIntrospectionRules(this.#d, nodeInfo, data);
    const powerOff = keepPowerOn || !nodeInfo.manageBoot ? false : this.#d.config.processing.powerOff;
    const leaseOwner = await nodeInfo.handOffLock();
    // From here the finish belongs to the worker (or the inline fallback): a failure there is
    // recorded by the job itself, not by this request, and the callback itself succeeded (upstream's
    // _finish runs in the background too).
    try {
      await this.#enqueueOrRun({
        type: 'finish',
        uuid: nodeInfo.uuid,
        startedAt: stamp(nodeInfo.startedAt),
        powerOff,
        leaseOwner,
      });
    } catch (err) {
      this.#d.logger.error(
        'Finishing the introspection failed; the clean-up times it out if nothing else does',
        {
          node: nodeInfo.uuid,
          error: String(err),
        },
      );
    }
    return { uuid: nodeInfo.uuid };
  }

  async #runUpdateHooks(nodeInfo: NodeInfo, data: IntrospectionDocument): Promise<void> {
    for (const hook of this.#hooks) await hook.beforeUpdate?.(data, nodeInfo);
  }

  /** finished(error) that never hides the failure being reported (an invalid event is only logged). */
  async #failQuietly(nodeInfo: NodeInfo, message: string): Promise<void> {
    try {
      await nodeInfo.finished('error', message);
    } catch (err) {
      this.#d.logger.error('Could not record the failure on the node', {
        node: nodeInfo.uuid,
        error: String(err),
      });
    }
  }

  /** Enqueue; if the queue refuses, do the job here, before answering, rather than lose it. */
  async #enqueueOrRun(job: Job): Promise<void> {
    try {
      await this.#d.queue.send(job);
    } catch (err) {
      this.#d.logger.warn('Could not enqueue the job, running it in the request', {
        job: job.type,
        error: String(err),
      });
      await this.runJob(job);
    }
  }

  // ---- the worker --------------------------------------------------------------------------------

  /** Run one job. Idempotent: a job that is no longer due (redelivered, superseded) does nothing. */
  async runJob(job: Job): Promise<void> {
    const log = { node: job.uuid, job: job.type };
    // A queue delays a message 15 minutes at most: a power slot further away comes back early and
    // goes round again until its time.
    if (job.type === 'introspect' && job.notBeforeMs !== undefined) {
      const early = job.notBeforeMs - this.#d.cacheDeps.now().getTime();
      if (early > 1000) {
        this.#d.logger.info('Power slot not reached yet, waiting in the queue again', {
          ...log,
          waitMs: early,
        });
        await this.#d.queue.send(job, { delayMs: early });
        return;
      }
    }
    const nodeInfo = new NodeInfo(this.#d.cacheDeps, {
      uuid: job.uuid,
      ...('leaseOwner' in job ? { leaseOwner: job.leaseOwner } : {}),
    });
    await nodeInfo.acquireLock(true);
    try {
      const record = await nodeInfo.reload();
      if (record === undefined) {
        this.#d.logger.info('Job for a node no longer cached, skipping', log);
        return;
      }
      const sameRun = !('startedAt' in job) || stamp(record.startedAt) === job.startedAt;
      try {
        switch (job.type) {
          case 'introspect':
            if (record.state !== 'starting' || !sameRun) break;
            await this.#doIntrospect(nodeInfo);
            return;
          case 'finish':
            if (record.state !== 'processing' || !sameRun) break;
            await this.#finish(nodeInfo, job.powerOff);
            return;
          case 'abort':
            if (record.state !== 'aborting' && record.state !== 'error') break;
            await this.#abortEnd(nodeInfo);
            return;
          case 'reapply':
            if (record.state !== 'reapplying' || !sameRun) break;
            await this.#reapply(nodeInfo, job.data);
            return;
        }
      } catch (err) {
        // A failure the job recorded on the node (it went to `error`) is the job's outcome: running
        // it again could not change it. Anything else (storage, a crash before recording) is retried.
        const after = await this.#d.nodeCache.nodeInfo(job.uuid).reload();
        if (after?.state === 'error' && after.versionId !== record.versionId) {
          this.#d.logger.warn('Job failed; the failure is recorded on the node', {
            ...log,
            error: String(err),
          });
          return;
        }
        throw err;
      }
      this.#d.logger.info(`Job is not due in state ${record.state}, skipping`, log);
    } finally {
      await nodeInfo.releaseLock();
    }
  }

  /** The body of {@link Inspector.#finish}. */
  async #powerOffAndFinish(nodeInfo: NodeInfo, powerOff: boolean): Promise<void> {
    if (powerOff) {
      try {
        await this.#ironic().setPowerState(nodeInfo.uuid, 'power off');
      } catch (err) {
        const provisionState = ((await nodeInfo.node()).provision_state ?? '').toLowerCase();
        if (provisionState !== 'enroll') {
          throw new InspectorError(
            `Failed to power off node ${nodeInfo.uuid}, check its power management configuration: ${(err as Error).message}`,
          );
        }
        this.#d.logger.info('Power off failed for a node in enroll; ignoring', { node: nodeInfo.uuid });
      }
    }
    await nodeInfo.finished('finish');
    this.#d.logger.info('Introspection finished successfully', { node: nodeInfo.uuid });
  }

  /** Upstream `_abort` after the `abort` event: power off (failures logged), `abort_end`. */
  async #abortEnd(nodeInfo: NodeInfo): Promise<void> {
    if (nodeInfo.manageBoot) {
      try {
        await this.#withRetries(() => this.#ironic().setPowerState(nodeInfo.uuid, 'power off'));
      } catch (err) {
        this.#d.logger.warn('Failed to power off node after introspection abort', {
          node: nodeInfo.uuid,
          error: (err as Error).message,
        });
      }
    }
    try {
      await nodeInfo.finished('abort_end', 'Canceled by operator');
      this.#d.logger.info('Introspection aborted', { node: nodeInfo.uuid });
    } catch (err) {
      if (!(err instanceof NodeStateInvalidEvent)) throw err;
      this.#d.logger.info('Node was not aborting; nothing to end', { node: nodeInfo.uuid });
    }
  }

  /** Upstream `_reapply` after the `reapply` event (recorded by the request): hooks on the stored data, `finish`. */
  async #reapply(nodeInfo: NodeInfo, given: IntrospectionDocument | undefined): Promise<void> {
    let data: IntrospectionDocument;
    try {
      data = given ?? (await this.#d.nodeCache.getIntrospectionData(nodeInfo.uuid, false));
    } catch (err) {
      await nodeInfo.finished('error', `Failed reapply: no unprocessed data (${(err as Error).message})`);
      return;
    }
    await triggersFsmErrorTransition({ logger: this.#d.logger })(async (ni: NodeInfo) => {
      const failures = this.#preprocess(data);
      if (failures.length > 0) {
        await ni.finished(
          'error',
          `Pre-processing failures detected reapplying introspection on stored data:\n${failures.join('\n')}`,
        );
        return;
      }
      await ni.node();
      await this.#runUpdateHooks(ni, data);
      if (this.#d.config.storeData !== 'none')
        await this.#d.nodeCache.storeIntrospectionData(ni.uuid, data, true);
      await applyIntrospectionRules(this.#d, ni, data);
      await ni.finished('finish');
      this.#d.logger.info('Reapply finished successfully', { node: ni.uuid });
    })(nodeInfo);
  }

  // ---- clean-up ----------------------------------------------------------------------------------

  /**
   * The periodic task: time out stale introspections, then drop nodes Ironic no longer has. Safe when
   * two runs overlap (non-blocking locks and re-checks in `cleanUp`, idempotent deletes in the sync).
   */
  async periodic(): Promise<{ timedOut: string[]; dropped: string[] }> {
    const timedOut = await this.#d.nodeCache.cleanUp();
    let dropped: string[] = [];
    try {
      dropped = await this.#d.nodeCache.syncWithIronic();
    } catch (err) {
      this.#d.logger.error('Ironic sync failed, will try again next period', { error: String(err) });
    }
    return { timedOut, dropped };
  }
}

/** `driver_info.force_persistent_boot_device`: `Always` or a true-ish string means persistent. */
export function persistentBoot(node: IronicNode): boolean {
  const value = node.driver_info?.force_persistent_boot_device;
  if (value === undefined || value === null) return false;
  const text = String(value).trim().toLowerCase();
  return text === 'always' || ['1', 't', 'true', 'on', 'y', 'yes'].includes(text);
}

function stamp(date: Date | null): string {
  return date === null ? '' : toStoredTimestamp(date);
}

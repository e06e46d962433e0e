/**
 * Starting introspection (`POST /v1/introspection/<node_id>`, upstream `introspect.py`): the request
 * checks the node in Ironic and records the start; the worker's `introspect` job (upstream
 * `_do_introspect`) adds the MACs as lookup attributes, sets the PXE boot device and reboots the node,
 * then moves it to `waiting`. Without managed boot there is nothing slow to do, and the request does
 * it all.
 *
 * @example
 * ```ts
 * await start.start('node-0', { manageBoot: true }); // 202 {}
 * ```
 */

import { bmcAddresses } from '#lib/domain/bmc-address.ts';
import { parseBooleanString } from '#lib/domain/booleans.ts';
import { InspectorError, PowerValidationFailed } from '#lib/domain/errors.ts';
import { ironicNode, requireIronic } from '#lib/domain/ironic-calls.ts';
import { canonicalLookupValue } from '#lib/domain/lookup-attributes.ts';
import { assertIntrospectable } from '#lib/domain/provision-states.ts';
import { callWithRetries } from '#lib/introspection/ironic-retries.ts';
import { type JobHandler, type JobOf, jobStamp } from '#lib/introspection/jobs.ts';
import { fsmTransition, releaseLock } from '#lib/node/fsm-decorators.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';

/** What setting a node up for its ramdisk needs. */
export interface IntrospectNodeOptions {
  readonly ironic: IronicApi | undefined;
  readonly logger: Logger;
  /** Pause between retried Ironic calls (upstream: 1 s). */
  readonly retryDelayMs: number;
  /** `[DEFAULT]timeout`, for the log line of unmanaged boot. */
  readonly timeoutSeconds: number;
  /** `[processing]node_not_found_hook`: with one, a node without lookup attributes may still start. */
  readonly nodeNotFoundHook: 'enroll' | undefined;
}

/**
 * Upstream `_do_introspect` (`release_lock(fsm_transition(wait))`): lookup attributes from the node's
 * ports, PXE boot device and reboot (managed boot), then `wait`; a failure moves the node to `error`.
 */
export function introspectNode(
  options: IntrospectNodeOptions,
): (nodeInfo: NodeInfo, known?: { readonly persistentBoot?: boolean | undefined }) => Promise<void> {
  const { logger } = options;
  const body = async (
    nodeInfo: NodeInfo,
    known: { readonly persistentBoot?: boolean | undefined } = {},
  ): Promise<void> => {
    await nodeInfo.acquireLock({ blocking: true });
    const macs = Object.keys(await nodeInfo.ironic.ports());
    if (macs.length > 0) {
      // Only the MACs not held yet: a re-run of this step (docs/design.md#recovery) adds no duplicates.
      const held = new Set((await nodeInfo.attributes()).mac ?? []);
      const missing = macs.filter((mac) => !held.has(canonicalLookupValue('mac', mac)));
      if (missing.length > 0) await nodeInfo.addAttribute('mac', missing);
      logger.info(`Whitelisting MAC's ${macs.join(', ')} for a PXE boot`, { node: nodeInfo.uuid });
    }
    const attributes = await nodeInfo.attributes();
    if (options.nodeNotFoundHook === undefined && Object.keys(attributes).length === 0) {
      throw new InspectorError(
        "No lookup attributes were found, inspector won't be able to find it after introspection, consider creating ironic ports or providing an IPMI address",
      );
    }
    logger.info('The following attributes will be used for look up', { node: nodeInfo.uuid, attributes });
    if (!nodeInfo.manageBoot) {
      logger.info(
        `Introspection environment is ready, external power on is required within ${options.timeoutSeconds} seconds`,
        { node: nodeInfo.uuid },
      );
      return;
    }
    const ironic = requireIronic(options);
    // The start read the node and says how to boot; only an older job makes the worker read it.
    const persistent = known.persistentBoot ?? persistentBoot(await nodeInfo.ironic.node());
    try {
      await callWithRetries(() => ironic.setBootDevice(nodeInfo.uuid, 'pxe', persistent), options);
    } catch (err) {
      throw new InspectorError(`Failed to set boot device to PXE: ${(err as Error).message}`);
    }
    try {
      await callWithRetries(() => ironic.setPowerState(nodeInfo.uuid, 'rebooting'), options);
    } catch (err) {
      throw new InspectorError(
        `Failed to power on the node, check its power management configuration: ${(err as Error).message}`,
      );
    }
    logger.info('Introspection started successfully', { node: nodeInfo.uuid });
  };
  const wrapped = releaseLock(fsmTransition('wait', { logger })(body));
  return async (nodeInfo, known) => {
    await wrapped(nodeInfo, known);
  };
}

/** The `introspect` job: {@link introspectNode} for a node still `starting` in the same run. */
export function introspectJob(options: IntrospectNodeOptions): JobHandler<JobOf<'introspect'>> {
  const doIntrospect = introspectNode(options);
  return {
    dueIn: ['starting'],
    run: (nodeInfo, job) => doIntrospect(nodeInfo, { persistentBoot: job.persistentBoot }),
  };
}

/** What the start request needs. */
export interface StartIntrospectionOptions extends IntrospectNodeOptions {
  readonly nodeCache: Pick<NodeCache, 'startIntrospection'>;
  readonly queue: JobQueue;
  /** Upstream's `introspection_delay` between power actions, shared by every worker. */
  readonly powerSlots: PowerSlots;
  readonly now: () => Date;
  readonly introspectionDelaySeconds: number;
  readonly ipmiAddressFields: readonly string[];
  readonly permitActiveIntrospection: boolean;
}

/** The start request. */
export class StartIntrospection {
  readonly #options: StartIntrospectionOptions;
  readonly #doIntrospect: ReturnType<typeof introspectNode>;

  constructor(options: StartIntrospectionOptions) {
    this.#options = options;
    this.#doIntrospect = introspectNode(options);
  }

  /**
   * Check the node in Ironic (provision state; power interface with managed boot), record the start
   * with the BMC addresses as lookup attributes, then hand the boot work to the worker (managed
   * boot) or finish the set-up here.
   */
  async start(nodeId: string, options: { readonly manageBoot: boolean }): Promise<void> {
    const { logger, nodeCache } = this.#options;
    const ironic = requireIronic(this.#options);
    const node = await ironicNode(ironic, nodeId);
    assertIntrospectable(node, this.#options);
    if (options.manageBoot) {
      const validation = await ironic.validateNode(node.uuid);
      if (validation.power?.result === false) {
        throw new PowerValidationFailed(validation.power.reason ?? 'unknown reason');
      }
    }
    const bmc = await bmcAddresses(node, { logger, fields: this.#options.ipmiAddressFields });
    // The power slot first, so the record says from when its `introspect` step is due: a node waiting
    // for a slot further away than one lease is not stranded (docs/design.md#recovery).
    const nowMs = this.#options.now().getTime();
    const slotMs = options.manageBoot ? await this.#reservePowerSlot(nowMs) : nowMs;
    const nodeInfo = await nodeCache.startIntrospection(node.uuid, {
      manageBoot: options.manageBoot,
      attributes: { bmc_address: bmc },
      node,
      dueJob: { type: 'introspect' },
      progressAt: new Date(slotMs),
    });
    logger.info('Introspection started', { node: node.uuid, manageBoot: options.manageBoot });
    if (!options.manageBoot) {
      // Without managed boot there is nothing slow to do: set up lookup and wait, answering the errors.
      await this.#doIntrospect(nodeInfo);
      return;
    }
    try {
      await this.#options.queue.send(
        {
          type: 'introspect',
          uuid: nodeInfo.uuid,
          startedAt: jobStamp(nodeInfo.startedAt),
          notBeforeMs: slotMs,
          persistentBoot: persistentBoot(node),
        },
        { delayMs: slotMs - nowMs },
      );
    } catch (err) {
      const message = `Failed to submit introspection job: ${(err as Error).message}`;
      await nodeInfo.finished('error', message);
      throw new InspectorError(message);
    }
  }

  /**
   * Upstream's introspection_delay: power actions at least that far apart, across all workers. The
   * reboot job waits in the queue for its slot instead of a worker sleeping for it.
   */
  async #reservePowerSlot(nowMs: number): Promise<number> {
    const delayMs = this.#options.introspectionDelaySeconds * 1000;
    return delayMs > 0 ? await this.#options.powerSlots.reservePowerSlot(nowMs, delayMs) : nowMs;
  }
}

/** `driver_info.force_persistent_boot_device`: `Always` or a true-ish string means persistent. */
export function persistentBoot(node: IronicNode): boolean {
  const value = node.driver_info?.force_persistent_boot_device;
  if (value === undefined || value === null) return false;
  const text = String(value);
  return text.trim().toLowerCase() === 'always' || parseBooleanString(text) === true;
}

/**
 * Which node a ramdisk callback belongs to (upstream `_find_node_info`): the cached node matching the
 * reported BMC addresses and MACs, locked; failing that, with active introspection permitted, a
 * deployed node Ironic knows by those addresses (`record_node`); failing that, with the `enroll`
 * node-not-found hook, a node enrolled in Ironic now (discovery).
 *
 * @example
 * ```ts
 * const failures: string[] = [];
 * const nodeInfo = await lookupNode(deps, data, failures); // undefined: the reason is in failures
 * ```
 */
import {
  InspectorError,
  IronicError,
  IronicUnavailable,
  NodeLockedError,
  NotFoundInCacheError,
} from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { fitsLookupIndex } from '#lib/domain/lookup-attributes.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import { reportedBmcAddresses, reportedMacs } from '#lib/processing/inventory.ts';

/** What the lookup needs. */
export interface LookupOptions {
  readonly nodeCache: Pick<NodeCache, 'findNode' | 'recordNode' | 'createNode'>;
  readonly ironic: IronicApi | undefined;
  readonly metrics: MetricsSink;
  readonly logger: Logger;
  /** `[processing]permit_active_introspection`. */
  readonly permitActiveIntrospection: boolean;
  /** `[processing]node_not_found_hook`. */
  readonly nodeNotFoundHook: 'enroll' | undefined;
  /** `[discovery]enroll_node_driver`. */
  readonly enrollNodeDriver: string;
}

/**
 * The node for the callback, locked, or undefined with the reason added to `failures`. With active
 * introspection, a node Ironic knows as deployed is recorded (its other errors reach the caller
 * directly, as upstream); then the not-found hook, if configured. Reported values too long for the
 * lookup index are left out: no node can hold them (docs/design.md#input-limits).
 *
 * @throws NodeLockedError when the matched node stays locked for the whole wait (409)
 * @throws IronicUnavailable when Ironic cannot be reached for the hook (the ramdisk may retry)
 */
export async function lookupNode(
  options: LookupOptions,
  data: IntrospectionDocument,
  failures: string[],
): Promise<NodeInfo | undefined> {
  const { nodeCache } = options;
  const bmc = reportedBmcAddresses(data).filter(fitsLookupIndex);
  const macs = reportedMacs(data).filter(fitsLookupIndex);
  try {
    return await nodeCache.findNode({ bmc_address: bmc, mac: macs });
  } catch (err) {
    if (err instanceof NodeLockedError || !(err instanceof InspectorError)) throw err;
    options.metrics.count('LookupFailures');
    if (!(err instanceof NotFoundInCacheError)) {
      failures.push(`Look up error: ${err.message}`);
      return undefined;
    }
    if (options.permitActiveIntrospection) {
      try {
        const recorded = await nodeCache.recordNode({ bmcAddresses: bmc, macs });
        await recorded.acquireLock({ blocking: true });
        return recorded;
      } catch (recordError) {
        if (!(recordError instanceof NotFoundInCacheError)) throw recordError;
      }
    }
    if (options.nodeNotFoundHook !== 'enroll') {
      failures.push(`Look up error: ${err.message}`);
      return undefined;
    }
    try {
      const created = await enroll(options, data, bmc, macs);
      if (created === null) {
        failures.push('Node not found hook returned nothing');
        return undefined;
      }
      await created.acquireLock({ blocking: true });
      return created;
    } catch (hookError) {
      if (hookError instanceof IronicUnavailable) throw hookError;
      // Ironic's own text stays in the log: the ramdisk's caller is not authenticated.
      const reason =
        hookError instanceof IronicError
          ? `Ironic refused a request (HTTP ${hookError.ironicStatus})`
          : (hookError as Error).message;
      options.logger.error('Node not found hook failed', { error: String(hookError) });
      failures.push(`Node not found hook failed: ${reason}`);
      return undefined;
    }
  }
}

/** The `enroll` node-not-found hook (discovery): refuse MACs Ironic has, then create the node. */
async function enroll(
  options: LookupOptions,
  data: IntrospectionDocument,
  bmc: readonly string[],
  macs: readonly string[],
): Promise<NodeInfo | null> {
  const ironic = requireIronic(options);
  for (const mac of macs) {
    if ((await ironic.listPorts({ address: mac })).length > 0) {
      throw new InspectorError(`Port ${mac} already exists in Ironic`);
    }
  }
  const fields = bmc[0] === undefined ? {} : { driver_info: { ipmi_address: bmc[0] } };
  const created = await options.nodeCache.createNode(options.enrollNodeDriver, fields);
  if (created !== null) data.auto_discovered = true;
  return created;
}

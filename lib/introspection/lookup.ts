/**
 * Which node a ramdisk callback belongs to (upstream `_find_node_info`): the cached node matching the
 * reported BMC addresses and MACs, locked; failing that, with active introspection permitted, a
 * deployed node Ironic knows by those addresses (`record_node`); failing that, with the `enroll`
 * node-not-found hook, a node enrolled in Ironic now (discovery).
 *
 * Hardened against callers who are not the node's ramdisk (docs/security.md):
 * - with `LOOKUP_REQUIRE_PORT_MAC`, a node that has ports in Ironic is matched only when one reported
 *   MAC is one of them: its BMC address alone (anyone can read it off the network) or another node's
 *   MACs are not enough. The refusal reads exactly as "no node matches", so a sweep learns nothing.
 * - a failed or ambiguous lookup names no node to the caller: UUIDs are taken out of the message
 *   (upstream's text otherwise); the log keeps the full text.
 *
 * @example
 * ```ts
 * const failures: string[] = [];
 * const match = await lookupNode(deps, data, failures); // undefined: the reason is in failures
 * if (match?.proven) … // a reported MAC is one of the node's Ironic ports
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
import { pyAttributes } from '#lib/domain/python-repr.ts';
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
  /** `LOOKUP_REQUIRE_PORT_MAC`: a node with Ironic ports needs one of its MACs reported. */
  readonly requirePortMac: boolean;
}

/** The node a callback was matched to, locked. */
export interface LookupMatch {
  readonly nodeInfo: NodeInfo;
  /**
   * Whether the callback proved it is the node's ramdisk: a reported MAC is one of the node's Ironic
   * ports. Always true without `LOOKUP_REQUIRE_PORT_MAC` (upstream trusts any match); false for a
   * node without ports matched by its BMC address, recorded or enrolled.
   */
  readonly proven: boolean;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Upstream's lookup error text without node UUIDs: "Multiple nodes match … {attributes}" without the
 * list of matches, "… different nodes: <a> and <b>" without the pair, "node <uuid>" as "node".
 */
export function withoutNodeIds(message: string): string {
  return message
    .replace(/: \[(?:'[^']*'(?:, )?)+\]$/, '')
    .replace(new RegExp(`: ${UUID.source} and ${UUID.source}`, 'gi'), '')
    .replace(new RegExp(`(node) ${UUID.source}`, 'gi'), '$1')
    .replace(UUID, '<node>');
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
): Promise<LookupMatch | undefined> {
  const { nodeCache } = options;
  const bmc = reportedBmcAddresses(data).filter(fitsLookupIndex);
  const macs = reportedMacs(data).filter(fitsLookupIndex);
  const failed = (message: string, detail: string = message) => {
    options.metrics.count('LookupFailures');
    options.logger.warn('Lookup failed', { reason: detail, bmcAddresses: bmc, macs });
    failures.push(`Look up error: ${withoutNodeIds(message)}`);
    return undefined;
  };
  let found: NodeInfo;
  try {
    found = await nodeCache.findNode({ bmc_address: bmc, mac: macs });
  } catch (err) {
    if (err instanceof NodeLockedError || !(err instanceof InspectorError)) throw err;
    if (!(err instanceof NotFoundInCacheError)) return failed(err.message);
    if (options.permitActiveIntrospection) {
      try {
        // With LOOKUP_REQUIRE_PORT_MAC a deployed node is found by its ports' MACs only (so proven):
        // recording replaces what the cache held of it, so no BMC-only match may get that far.
        found = await nodeCache.recordNode(options.requirePortMac ? { macs } : { bmcAddresses: bmc, macs });
        await found.acquireLock({ blocking: true });
        return { nodeInfo: found, proven: true };
      } catch (recordError) {
        if (!(recordError instanceof InspectorError) || recordError.httpStatus >= 500) throw recordError;
        if (!(recordError instanceof NotFoundInCacheError)) {
          // Upstream's answer (not a lookup failure), without the node UUIDs it names.
          options.logger.warn('Lookup failed', { reason: recordError.message, bmcAddresses: bmc, macs });
          throw new InspectorError(withoutNodeIds(recordError.message), recordError.httpStatus);
        }
      }
    }
    if (options.nodeNotFoundHook !== 'enroll') return failed(err.message);
    try {
      const created = await enroll(options, data, bmc, macs);
      if (created === null) {
        failures.push('Node not found hook returned nothing');
        return undefined;
      }
      await created.acquireLock({ blocking: true });
      // A node enrolled now has no ports yet: nothing to prove against.
      return { nodeInfo: created, proven: !options.requirePortMac };
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
  // Refused as if nothing matched: the same text, so a caller cannot tell a refusal from a miss.
  const notFound = NotFoundInCacheError.forAttributes(pyAttributes({ bmc_address: bmc, mac: macs })).message;
  return proveMatch(options, found, macs, () =>
    failed(notFound, `node ${found.uuid} matched without one of its Ironic ports' MACs`),
  );
}

/**
 * The match, if the callback may have the node: always without `LOOKUP_REQUIRE_PORT_MAC`; with it,
 * when a reported MAC is one of the node's Ironic ports (proven), or the node has no ports (unproven).
 * Otherwise the lock is released and `refuse` says why.
 */
async function proveMatch(
  options: LookupOptions,
  nodeInfo: NodeInfo,
  macs: readonly string[],
  refuse: () => undefined,
): Promise<LookupMatch | undefined> {
  if (!options.requirePortMac) return { nodeInfo, proven: true };
  let portMacs: Set<string>;
  try {
    // Cached on the NodeInfo: processing reads the same ports without asking Ironic again.
    portMacs = new Set(Object.keys(await nodeInfo.ironic.ports()).map((mac) => mac.toLowerCase()));
  } catch (err) {
    await nodeInfo.releaseLock();
    throw err;
  }
  if (macs.some((mac) => portMacs.has(mac.toLowerCase()))) return { nodeInfo, proven: true };
  if (portMacs.size === 0) return { nodeInfo, proven: false };
  await nodeInfo.releaseLock();
  return refuse();
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

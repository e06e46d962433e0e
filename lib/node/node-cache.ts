/**
 * The node cache: upstream's module-level `node_cache` functions, one file each, bound to one set of
 * stores and settings. This class only assembles them; each function takes what it uses.
 *
 * | upstream | here | file |
 * |---|---|---|
 * | `NodeInfo` (record, events) / its lock / its Ironic calls | {@link NodeInfo} / `NodeLease` / `NodeIronic` | `node-info.ts` / `lease.ts` / `ironic-operations.ts` |
 * | `add_node`, `start_introspection` | {@link NodeCache.addNode}, {@link NodeCache.startIntrospection} | `add-node.ts` |
 * | `find_node` | {@link NodeCache.findNode} | `find-node.ts` |
 * | `get_node` | {@link NodeCache.getNode}, {@link NodeCache.resolveNodeId} | `get-node.ts` |
 * | `get_node_list` | {@link NodeCache.getNodeList} | `get-node-list.ts` |
 * | `clean_up` | {@link NodeCache.cleanUp} | `clean-up.ts` |
 * | `delete_nodes_not_in_list`, `sync_with_ironic` | {@link NodeCache.deleteNodesNotInList}, {@link NodeCache.syncWithIronic} | `delete-nodes-not-in-list.ts` |
 * | `record_node` | {@link NodeCache.recordNode} | `record-node.ts` |
 * | `create_node` | {@link NodeCache.createNode} | `create-node.ts` |
 * | `store_introspection_data`, `get_introspection_data` | {@link NodeCache.storeIntrospectionData}, {@link NodeCache.getIntrospectionData} | `introspection-data.ts` |
 * | `active_macs`, `introspection_active`, `_list_node_uuids` | {@link NodeCache.activeMacs}, {@link NodeCache.introspectionActive}, {@link NodeCache.listNodeUuids} | here |
 * | the decorators (`fsm_transition`, `release_lock`, …) | | `fsm-decorators.ts` |
 *
 * @example
 * ```ts
 * const nodeCache = new NodeCache({ nodes, lease: { leases, leaseMs, lockWaitMs }, ironic: { client },
 *   introspectionData, now, logger, timeoutSeconds: 3600 });
 * await nodeCache.startIntrospection(uuid, { attributes: { bmc_address: ['10.0.0.5'], mac: macs } });
 * const nodeInfo = await nodeCache.findNode({ bmc_address: ['10.0.0.5'], mac: ['52:54:00:12:34:56'] });
 * ```
 */
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { ACTIVE_STATES, type IntrospectionState } from '#lib/domain/state-machine.ts';
import {
  type AddNodeOptions,
  addNode,
  type LookupAttributes,
  startIntrospection,
} from '#lib/node/add-node.ts';
import { cleanUp } from '#lib/node/clean-up.ts';
import { createNode } from '#lib/node/create-node.ts';
import { deleteNodesNotInList, syncWithIronic } from '#lib/node/delete-nodes-not-in-list.ts';
import { findNode } from '#lib/node/find-node.ts';
import { getNode, resolveNodeId } from '#lib/node/get-node.ts';
import { getNodeList, type NodeListOptions } from '#lib/node/get-node-list.ts';
import {
  getIntrospectionData,
  storeIntrospectionData,
  type WhichData,
} from '#lib/node/introspection-data.ts';
import { NodeInfo, type NodeInfoFields, type NodeInfoOptions } from '#lib/node/node-info.ts';
import { type RecordNodeAddresses, recordNode } from '#lib/node/record-node.ts';
import type { IntrospectionDataStore, IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/** What a node cache is built on: what its NodeInfos use, plus its own stores and settings. */
export interface NodeCacheOptions extends NodeInfoOptions {
  readonly introspectionData: IntrospectionDataStore;
  /** `[DEFAULT]timeout` in seconds; ≤ 0 disables timeouts. */
  readonly timeoutSeconds: number;
  /** `[DEFAULT]ipmi_address_fields` (upstream's list when omitted), for record_node. */
  readonly ipmiAddressFields?: readonly string[] | undefined;
}

/** The node cache functions. One instance per process; NodeInfo objects are per request. */
export class NodeCache {
  readonly #options: NodeCacheOptions;
  /** What the functions are given: the options plus the factory and bound helpers they share. */
  readonly #deps;

  constructor(options: NodeCacheOptions) {
    this.#options = options;
    this.#deps = {
      ...options,
      nodeInfo: (uuid: string, fields: Omit<NodeInfoFields, 'uuid'> = {}) => this.nodeInfo(uuid, fields),
      resolveNodeId: (nodeId: string) => this.resolveNodeId(nodeId),
    };
  }

  /** The options this cache was built with (for another cache on the same stores, in tests). */
  get options(): NodeCacheOptions {
    return this.#options;
  }

  /** A NodeInfo for `uuid` with nothing loaded but `fields` (a handed-over lease: `leaseOwner`). */
  nodeInfo(uuid: string, fields: Omit<NodeInfoFields, 'uuid'> = {}): NodeInfo {
    return new NodeInfo(this.#options, { ...fields, uuid });
  }

  /** See `add-node.ts`. */
  addNode(uuid: string, state: IntrospectionState, options: AddNodeOptions = {}): Promise<NodeInfo> {
    return addNode(this.#deps, uuid, state, options);
  }

  /** See `add-node.ts`. */
  startIntrospection(
    uuid: string,
    options: Omit<AddNodeOptions, 'expectedVersionId' | 'previousState'> = {},
  ): Promise<NodeInfo> {
    return startIntrospection(this.#deps, uuid, options);
  }

  /** See `find-node.ts`: the node for a ramdisk callback, **locked**. */
  findNode(attributes: LookupAttributes): Promise<NodeInfo> {
    return findNode(this.#deps, attributes);
  }

  /** See `get-node.ts`. */
  getNode(nodeId: string): Promise<NodeInfo> {
    return getNode(this.#deps, nodeId);
  }

  /** See `get-node.ts`. */
  resolveNodeId(nodeId: string): Promise<string> {
    return resolveNodeId(this.#options.ironic.client, nodeId);
  }

  /** See `get-node-list.ts`. */
  getNodeList(options: NodeListOptions = {}): Promise<NodeInfo[]> {
    return getNodeList(this.#deps, options);
  }

  /** See `clean-up.ts`. */
  cleanUp(): Promise<string[]> {
    return cleanUp(this.#deps);
  }

  /** See `delete-nodes-not-in-list.ts`. */
  deleteNodesNotInList(uuids: Iterable<string>, cached?: readonly string[]): Promise<string[]> {
    return deleteNodesNotInList(this.#deps, uuids, cached);
  }

  /** See `delete-nodes-not-in-list.ts`. */
  async syncWithIronic(): Promise<string[]> {
    return syncWithIronic(this.#deps, requireIronic({ ironic: this.#options.ironic.client }));
  }

  /** See `record-node.ts`. */
  recordNode(addresses: RecordNodeAddresses): Promise<NodeInfo> {
    return recordNode(this.#ironicDeps(), addresses);
  }

  /** See `create-node.ts`. */
  async createNode(driver: string, fields: Readonly<Record<string, unknown>> = {}): Promise<NodeInfo | null> {
    return createNode({ ...this.#ironicDeps(), ironic: requireIronic(this.#ironicDeps()) }, driver, fields);
  }

  #ironicDeps() {
    return {
      ironic: this.#options.ironic.client,
      logger: this.#options.logger,
      ipmiAddressFields: this.#options.ipmiAddressFields,
      addNode: (uuid: string, state: IntrospectionState, options: AddNodeOptions) =>
        this.addNode(uuid, state, options),
    };
  }

  /** Every cached node UUID (upstream `_list_node_uuids`). */
  listNodeUuids(): Promise<string[]> {
    return this.#options.nodes.listNodeUuids();
  }

  /** Every `mac` lookup attribute value of every node (unmanaged-boot nodes included). */
  async activeMacs(): Promise<Set<string>> {
    return new Set(await this.#options.nodes.listLookupAttributeValues('mac'));
  }

  /** Whether any node's introspection has not finished (`finished_at` unset). */
  introspectionActive(): Promise<boolean> {
    return this.#options.nodes.anyUnfinished(ACTIVE_STATES);
  }

  /** See `introspection-data.ts`. */
  storeIntrospectionData(nodeId: string, data: unknown, options: WhichData = {}): Promise<void> {
    return storeIntrospectionData(this.#deps, nodeId, data, options);
  }

  /** See `introspection-data.ts`. */
  getIntrospectionData(nodeId: string, options: WhichData = {}): Promise<IntrospectionDocument> {
    return getIntrospectionData(this.#deps, nodeId, options);
  }
}

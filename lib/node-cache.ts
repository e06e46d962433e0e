/**
 * The node cache: upstream's module-level `node_cache` functions, over the storage interfaces.
 *
 * | upstream | here |
 * |---|---|
 * | `add_node` | {@link NodeCache.addNode} |
 * | `start_introspection` | {@link NodeCache.startIntrospection} |
 * | `find_node` | {@link NodeCache.findNode} |
 * | `get_node` | {@link NodeCache.getNode} |
 * | `get_node_list` | {@link NodeCache.getNodeList} |
 * | `clean_up` | {@link NodeCache.cleanUp} |
 * | `delete_nodes_not_in_list` | {@link NodeCache.deleteNodesNotInList} |
 * | `record_node` / `create_node` / `sync_with_ironic` | {@link NodeCache.recordNode} / {@link NodeCache.createNode} / {@link NodeCache.syncWithIronic} |
 * | `active_macs` / `introspection_active` / `_list_node_uuids` | {@link NodeCache.activeMacs} / {@link NodeCache.introspectionActive} / {@link NodeCache.listNodeUuids} |
 * | `store_introspection_data` / `get_introspection_data` | {@link NodeCache.storeIntrospectionData} / {@link NodeCache.getIntrospectionData} |
 *
 * @example
 * ```ts
 * const nodeCache = new NodeCache(deps);
 * await nodeCache.startIntrospection(uuid, { attributes: { bmc_address: ['10.0.0.5'], mac: macs } });
 * const nodeInfo = await nodeCache.findNode({ bmc_address: ['10.0.0.5'], mac: ['52:54:00:12:34:56'] });
 * ```
 */
import { randomUUID } from 'node:crypto';
import {
  InspectorError,
  IntrospectionAlreadyFinishedError,
  IntrospectionDataNotFound,
  InvalidIntrospectionData,
  InvalidLookupAttribute,
  IronicError,
  IronicUnavailable,
  MultipleNodesMatchError,
  NodeLockedError,
  NodeNameNotResolvable,
  NodeNotFoundInDBError,
  NodeNotOnIntrospectionError,
  NodeStateInvalidEvent,
  NotFoundInCacheError,
} from '#lib/domain/errors.ts';
import {
  canonicalLookupValue,
  isEmptyInput,
  type LookupAttributeInput,
  newRowId,
  validateLookupValue,
} from '#lib/domain/lookup-attributes.ts';
import { pyAttributes, pyList } from '#lib/domain/python-repr.ts';
import { ACTIVE_STATES, type IntrospectionState, nextState, STATES } from '#lib/domain/state-machine.ts';
import { toPythonStr } from '#lib/domain/timestamps.ts';
import { bmcAddresses } from '#lib/domain/bmc-address.ts';
import { ironicNode, requireIronic } from '#lib/domain/ironic-calls.ts';
import { type NodeCacheDeps, NodeInfo } from '#lib/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicNode } from '#lib/ports/ironic.ts';
import { type LookupAttributeRow, MAX_CHILD_ITEMS_PER_NODE, type NodeRecord } from '#lib/ports/node-store.ts';

/** Lookup attributes for `add_node`/`start_introspection`: name → value or values. */
export type LookupAttributes = Readonly<Record<string, LookupAttributeInput>>;

/** Options of {@link NodeCache.addNode}. */
export interface AddNodeOptions {
  readonly manageBoot?: boolean;
  readonly attributes?: LookupAttributes;
  /**
   * The record version the caller saw (null: it saw none). When omitted, add_node reads it first. The
   * replacement is conditioned on it, so two concurrent starts of one node cannot both win.
   */
  readonly expectedVersionId?: string | null;
  /** The Ironic node, when the caller has it already (attached to the returned NodeInfo). */
  readonly node?: IronicNode;
}

/** Options of {@link NodeCache.getNodeList}. */
export interface NodeListOptions {
  /** UUID of the last node of the previous page. */
  readonly marker?: string;
  /** Page size; all nodes when omitted. */
  readonly limit?: number;
  /** Only nodes in these states. */
  readonly state?: readonly IntrospectionState[];
}

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Upstream's `uuidutils.is_uuid_like`: hyphens optional, any case. */
export function isUuidLike(value: string): boolean {
  return UUID_LIKE.test(value);
}

/** The canonical (lower-case, hyphenated) form of a UUID-like string. */
export function canonicalUuid(value: string): string {
  const hex = value.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The node cache functions. One instance per process; NodeInfo objects are per request. */
export class NodeCache {
  readonly #deps: NodeCacheDeps;

  constructor(deps: NodeCacheDeps) {
    this.#deps = deps;
  }

  /** A NodeInfo for `uuid` with nothing loaded yet. */
  nodeInfo(uuid: string): NodeInfo {
    return new NodeInfo(this.#deps, { uuid });
  }

  /**
   * Store a node under introspection, dropping everything stored for it before (record, lookup
   * attributes, options) in the same transaction, then its introspection data. Empty attribute values
   * are skipped. The lock is not taken.
   *
   * @throws NodeStateRaceCondition when the record changed since the version the caller saw
   * @throws InvalidLookupAttribute for values the lookup index cannot hold
   */
  async addNode(uuid: string, state: IntrospectionState, options: AddNodeOptions = {}): Promise<NodeInfo> {
    const now = this.#deps.now();
    const rows: LookupAttributeRow[] = [];
    for (const [name, value] of Object.entries(options.attributes ?? {})) {
      if (isEmptyInput(value)) continue;
      for (const v of typeof value === 'string' ? [value] : value) {
        validateLookupValue(name, v);
        rows.push({ rowId: newRowId(now), name, value: canonicalLookupValue(name, v) });
      }
    }
    if (rows.length > MAX_CHILD_ITEMS_PER_NODE) {
      throw new InvalidLookupAttribute(
        'count',
        `a node holds at most ${MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options together`,
      );
    }
    const expected =
      options.expectedVersionId !== undefined
        ? options.expectedVersionId
        : ((await this.#deps.nodes.getNode(uuid))?.versionId ?? null);
    const record: NodeRecord = {
      uuid,
      versionId: randomUUID(),
      state,
      startedAt: now,
      finishedAt: null,
      error: null,
      manageBoot: options.manageBoot ?? true,
    };
    await this.#deps.nodes.replaceNode(record, rows, expected);
    // Upstream's database store drops the old data with the record. S3 is not part of the DynamoDB
    // transaction: the data goes only once the new record is committed, so a start that lost a race
    // deletes nothing (the bucket is versioned in AWS, so even this is recoverable).
    await this.#deleteIntrospectionData(uuid);
    return new NodeInfo(this.#deps, { ...record, node: options.node });
  }

  /**
   * Start introspection of a node: fire `start` on the existing record (so the transition is checked),
   * then replace the record with a new one in `starting`. A node with no record starts directly.
   *
   * @throws NodeStateInvalidEvent when `start` is invalid in the node's state (nothing is replaced)
   * @throws NodeStateRaceCondition when another writer changed the record in between
   */
  async startIntrospection(
    uuid: string,
    options: Omit<AddNodeOptions, 'expectedVersionId'> = {},
  ): Promise<NodeInfo> {
    // One conditional replacement, not a `start` write followed by add_node: a start that fails half
    // way (bad attribute, race, crash) must not leave the old record in `starting`, where nothing
    // could move it again.
    const current = await this.#deps.nodes.getNode(uuid);
    if (current !== undefined) {
      try {
        nextState(current.state, 'start');
      } catch (err) {
        if (err instanceof NodeStateInvalidEvent) {
          this.#deps.logger.warn(`Invalid event: ${err.message}`, { node: uuid });
        }
        throw err;
      }
    }
    const nodeInfo = await this.addNode(uuid, 'starting', {
      ...options,
      expectedVersionId: current?.versionId ?? null,
    });
    this.#deps.metrics?.count('IntrospectionsStarted');
    return nodeInfo;
  }

  /**
   * Find the node a ramdisk callback belongs to, best match first, and return it **locked**.
   *
   * Each distinct supplied (name, value) pair a node holds scores it one point (decisions.md item 5);
   * the cost is one index query per pair, whatever the number of cached nodes.
   *
   * @throws NotFoundInCacheError when nothing matches (404)
   * @throws MultipleNodesMatchError on a tie at the top (404)
   * @throws NodeNotOnIntrospectionError when the matched node's record is gone (404)
   * @throws IntrospectionAlreadyFinishedError when its introspection already finished (400)
   * @throws NodeLockedError when its lock stays busy for the whole configured wait (409)
   */
  async findNode(attributes: LookupAttributes): Promise<NodeInfo> {
    const repr = pyAttributes(attributes);
    const scores = new Map<string, number>();
    for (const name of Object.keys(attributes).sort()) {
      const value = attributes[name];
      if (isEmptyInput(value)) continue;
      const pairs = new Set(
        (typeof value === 'string' ? [value] : value).map((v) => canonicalLookupValue(name, v)),
      );
      for (const v of pairs) {
        if (v === '') continue;
        const holders = new Set(await this.#deps.nodes.findNodesByLookupAttribute(name, v));
        for (const uuid of holders) scores.set(uuid, (scores.get(uuid) ?? 0) + 1);
      }
    }
    if (scores.size === 0) throw NotFoundInCacheError.forAttributes(repr);
    const best = Math.max(...scores.values());
    const winners = [...scores].filter(([, score]) => score === best).map(([uuid]) => uuid);
    if (winners.length > 1) throw new MultipleNodesMatchError(repr, winners.sort());
    const uuid = winners[0] as string;

    const nodeInfo = this.nodeInfo(uuid);
    await nodeInfo.acquireLock(true);
    try {
      // Read under the lock: nobody can finish the node between this check and the caller's work.
      const record = await nodeInfo.reload();
      if (record === undefined) throw new NodeNotOnIntrospectionError(uuid);
      if (record.finishedAt !== null) {
        throw new IntrospectionAlreadyFinishedError(uuid, toPythonStr(record.finishedAt));
      }
      return nodeInfo;
    } catch (err) {
      await nodeInfo.releaseLock();
      throw err;
    }
  }

  /**
   * A node's cached record, unlocked. `nodeId` is a UUID (any case, hyphens optional) or an Ironic
   * node name, resolved through Ironic.
   *
   * @throws NotFoundInCacheError "Could not find node <uuid> in cache" (404)
   * @throws NodeNameNotResolvable for a name when no Ironic client is configured
   */
  async getNode(nodeId: string): Promise<NodeInfo> {
    const uuid = await this.resolveNodeId(nodeId);
    const record = await this.#deps.nodes.getNode(uuid);
    if (record === undefined) throw NotFoundInCacheError.forNode(uuid);
    return NodeInfo.fromRecord(this.#deps, record);
  }

  /**
   * The canonical UUID for a UUID or an Ironic node name (asking Ironic for the name's UUID only).
   *
   * @throws NodeNotFoundInIronic "Node <name> was not found in Ironic" (404)
   * @throws InspectorError "Cannot get node <name>: <error>" for Ironic's 400
   * @throws NodeNameNotResolvable when no Ironic client is configured
   */
  async resolveNodeId(nodeId: string): Promise<string> {
    if (isUuidLike(nodeId)) return canonicalUuid(nodeId);
    if (this.#deps.ironic === undefined) throw new NodeNameNotResolvable(nodeId);
    return (await ironicNode(this.#deps.ironic, nodeId, { fields: ['uuid'] })).uuid;
  }

  /**
   * Cached nodes, newest `started_at` first (ties: UUID descending), strictly after `marker`, in
   * `state` if given. Reads in proportion to the page, not to the cache.
   *
   * @throws NodeNotFoundInDBError "The requested node was not found." for an unknown marker (404)
   */
  async getNodeList(options: NodeListOptions = {}): Promise<NodeInfo[]> {
    let after: NodeRecord | undefined;
    if (options.marker !== undefined) {
      const markerUuid = isUuidLike(options.marker) ? canonicalUuid(options.marker) : options.marker;
      after = await this.#deps.nodes.getNode(markerUuid);
      if (after === undefined) throw new NodeNotFoundInDBError();
    }
    const records = await this.#deps.nodes.listNodes({
      states: options.state ?? STATES,
      ...(after !== undefined ? { after: { startedAt: after.startedAt, uuid: after.uuid } } : {}),
      limit: options.limit ?? Number.POSITIVE_INFINITY,
    });
    return records.map((record) => NodeInfo.fromRecord(this.#deps, record));
  }

  /**
   * Time out active introspections older than `[DEFAULT]timeout`: each candidate, if its lock can be
   * taken without waiting, goes to `error` with "Introspection timeout" (lookup attributes and options
   * dropped, introspection data kept). Busy nodes are skipped until the next pass.
   *
   * Candidates come from the index of active states by `started_at`: a pass reads in proportion to the
   * stale nodes, not to the cache. Returns the UUIDs timed out.
   */
  async cleanUp(): Promise<string[]> {
    const timeout = this.#deps.timeoutSeconds;
    if (timeout <= 0) return [];
    const threshold = new Date(this.#deps.now().getTime() - timeout * 1000);
    const candidates = await this.#deps.nodes.listNodesStartedBefore(ACTIVE_STATES, threshold);
    if (candidates.length === 0) return [];
    this.#deps.logger.error('Introspection for nodes has timed out', {
      nodes: candidates.map((c) => c.uuid),
    });

    const timedOut: string[] = [];
    for (const candidate of candidates) {
      const nodeInfo = this.nodeInfo(candidate.uuid);
      try {
        if (!(await nodeInfo.acquireLock(false))) {
          this.#deps.logger.info('Skipping timeout check for a locked node', { node: candidate.uuid });
          continue;
        }
        // The index is eventually consistent and someone may have finished the node before we took
        // the lock: decide on a consistent read made under the lock.
        const record = await nodeInfo.reload();
        if (record === undefined || !isTimedOut(record, threshold)) continue;
        if (record.state !== 'waiting') {
          this.#deps.logger.error(
            `Introspection timeout occurred while introspection in "${record.state}" state`,
            {
              node: record.uuid,
            },
          );
        }
        await nodeInfo.finished('timeout', 'Introspection timeout');
        timedOut.push(record.uuid);
      } catch (err) {
        // One node (restarted under us, storage hiccup) must not stop the pass for the others; it is
        // looked at again next period.
        this.#deps.logger.warn('Could not time out node, will retry on the next clean-up', {
          node: candidate.uuid,
          error: String(err),
        });
      } finally {
        await nodeInfo.releaseLock();
      }
    }
    return timedOut;
  }

  /**
   * Drop every cached node whose UUID is not in `uuids` (Ironic's current nodes), each under its lock:
   * record, lookup attributes, options and introspection data.
   */
  async deleteNodesNotInList(uuids: Iterable<string>, cached?: readonly string[]): Promise<string[]> {
    const inIronic = new Set(uuids);
    const dropped: string[] = [];
    for (const uuid of cached ?? (await this.listNodeUuids())) {
      if (inIronic.has(uuid)) continue;
      this.#deps.logger.warn(
        `Node ${uuid} was deleted from Ironic, dropping from Ironic Inspector database`,
        {
          node: uuid,
        },
      );
      const nodeInfo = this.nodeInfo(uuid);
      try {
        await nodeInfo.acquireLock(true);
      } catch (err) {
        if (!(err instanceof NodeLockedError)) throw err;
        this.#deps.logger.warn('Node is busy, dropping it on the next sync', { node: uuid });
        continue;
      }
      try {
        await this.#deps.nodes.deleteNode(uuid);
        await this.#deleteIntrospectionData(uuid);
        dropped.push(uuid);
      } finally {
        await nodeInfo.releaseLock();
      }
    }
    return dropped;
  }

  /**
   * Upstream's periodic `sync_with_ironic`: drop the cached nodes Ironic no longer has. The only
   * path that reads every node (Ironic's list, and the cache's).
   */
  async syncWithIronic(): Promise<string[]> {
    const ironic = requireIronic(this.#deps);
    // The cache is listed before Ironic: a node enrolled and started in between is not in this cache
    // listing, so it cannot be taken for one Ironic dropped.
    const cached = await this.listNodeUuids();
    const inIronic = (await ironic.listNodes({ fields: ['uuid'] })).map((node) => node.uuid);
    return this.deleteNodesNotInList(inIronic, cached);
  }

  /**
   * Cache a node that is already deployed (active introspection): find it in Ironic by MACs and BMC
   * addresses, check it is `active` or `rescue`, and add it in `waiting` with boot unmanaged.
   *
   * @throws NotFoundInCacheError when neither list is given, or Ironic has no such node (404)
   * @throws InspectorError when the addresses point at several nodes, or the node is not active (400)
   */
  async recordNode(options: {
    bmcAddresses?: readonly string[];
    macs?: readonly string[];
  }): Promise<NodeInfo> {
    const macs = [...(options.macs ?? [])];
    const bmcs = [...(options.bmcAddresses ?? [])];
    if (macs.length === 0 && bmcs.length === 0) {
      throw new NotFoundInCacheError(
        'Existing node cannot be found since neither MAC addresses nor BMC addresses are present in the inventory',
      );
    }
    const ironic = requireIronic(this.#deps);
    let byMac: string | undefined;
    if (macs.length > 0) {
      const owners = new Set<string>();
      for (const mac of macs) {
        for (const port of await ironic.listPorts({ address: mac }))
          if (port.node_uuid) owners.add(port.node_uuid);
      }
      if (owners.size > 1) {
        throw new InspectorError(
          `MAC addresses ${pyList(macs)} correspond to more than one node: ${pyList([...owners].sort())}`,
        );
      }
      byMac = [...owners][0];
    }
    let byBmc: string | undefined;
    if (bmcs.length > 0) {
      const wanted = new Set(bmcs.map((b) => canonicalLookupValue('bmc_address', b)));
      const owners = new Set<string>();
      for (const node of await ironic.listNodes({ fields: ['uuid', 'driver_info'] })) {
        const addresses = await bmcAddresses(node, {
          logger: this.#deps.logger,
          fields: this.#deps.ipmiAddressFields,
        });
        if (addresses.some((a) => wanted.has(canonicalLookupValue('bmc_address', a)))) owners.add(node.uuid);
      }
      if (owners.size > 1) {
        throw new InspectorError(
          `BMC addresses ${pyList(bmcs)} correspond to more than one node: ${pyList([...owners].sort())}`,
        );
      }
      byBmc = [...owners][0];
    }
    if (byMac !== undefined && byBmc !== undefined && byMac !== byBmc) {
      throw new InspectorError(
        `MAC addresses ${pyList(macs)} and BMC addresses ${pyList(bmcs)} correspond to different nodes: ${byMac} and ${byBmc}`,
      );
    }
    const uuid = byMac ?? byBmc;
    if (uuid === undefined) {
      throw new NotFoundInCacheError(
        `Existing node was not found by MAC address(es) ${pyList(macs)} and BMC address(es) ${pyList(bmcs)}`,
      );
    }
    const node = await ironic.getNode(uuid);
    const provisionState = (node.provision_state ?? '').toLowerCase();
    if (provisionState !== 'active' && provisionState !== 'rescue') {
      throw new InspectorError(`Node ${uuid} is not active, its provision state is ${node.provision_state}`);
    }
    return this.addNode(uuid, 'waiting', { manageBoot: false, attributes: { mac: macs, bmc_address: bmcs } });
  }

  /**
   * Enroll a node in Ironic (the `enroll` node-not-found hook) and cache it in `enrolling`. An Ironic
   * error is logged and gives null, as upstream.
   */
  async createNode(driver: string, fields: Readonly<Record<string, unknown>> = {}): Promise<NodeInfo | null> {
    const ironic = requireIronic(this.#deps);
    let node: IronicNode;
    try {
      node = await ironic.createNode({ ...fields, driver });
    } catch (err) {
      if (!(err instanceof IronicError || err instanceof IronicUnavailable)) throw err;
      this.#deps.logger.error(`Failed to create new node: ${err.message}`, { driver });
      return null;
    }
    this.#deps.logger.info(`Node ${node.uuid} was created successfully`, { node: node.uuid });
    return this.addNode(node.uuid, 'enrolling', { node });
  }

  /** Every cached node UUID (upstream `_list_node_uuids`). */
  async listNodeUuids(): Promise<string[]> {
    return this.#deps.nodes.listNodeUuids();
  }

  /** Every `mac` lookup attribute value of every node (unmanaged-boot nodes included). */
  async activeMacs(): Promise<Set<string>> {
    return new Set(await this.#deps.nodes.listLookupAttributeValues('mac'));
  }

  /** Whether any node's introspection has not finished (`finished_at` unset). */
  async introspectionActive(): Promise<boolean> {
    return this.#deps.nodes.anyUnfinished(ACTIVE_STATES);
  }

  /**
   * Store introspection data (processed or not) for a node, without its `logs` key.
   *
   * @throws InvalidIntrospectionData when `data` is not a JSON object
   */
  async storeIntrospectionData(nodeId: string, data: unknown, processed = true): Promise<void> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new InvalidIntrospectionData(Array.isArray(data) ? 'list' : data === null ? 'None' : typeof data);
    }
    const { logs: _logs, ...withoutLogs } = data as IntrospectionDocument;
    const uuid = await this.resolveNodeId(nodeId);
    await this.#deps.introspectionData.put(uuid, processed, withoutLogs);
  }

  /**
   * Introspection data of a node.
   *
   * @throws IntrospectionDataNotFound "Introspection data not found for node <uuid>, processed=<True|False>"
   */
  async getIntrospectionData(nodeId: string, processed = true): Promise<IntrospectionDocument> {
    const uuid = await this.resolveNodeId(nodeId);
    const data = await this.#deps.introspectionData.get(uuid, processed);
    if (data === undefined) throw new IntrospectionDataNotFound(uuid, processed);
    return data;
  }

  async #deleteIntrospectionData(uuid: string): Promise<void> {
    try {
      await this.#deps.introspectionData.deleteAll(uuid);
    } catch (err) {
      this.#deps.logger.warn('Could not delete old introspection data', { node: uuid, error: String(err) });
    }
  }
}

/** Whether a record read under the lock is still an active introspection older than `threshold`. */
function isTimedOut(record: NodeRecord, threshold: Date): boolean {
  const active = record.finishedAt === null || record.state === 'reapplying';
  return active && record.startedAt !== null && record.startedAt.getTime() < threshold.getTime();
}

/**
 * Upstream's `get_node_list`: cached nodes, newest `started_at` first (ties: UUID descending), a page
 * at a time, read in proportion to the page rather than to the cache.
 *
 * @example
 * ```ts
 * const page = await getNodeList(deps, { limit: 50, marker: lastUuid, state: ['error'] });
 * ```
 */
import { NodeNotFoundInDBError } from '#lib/domain/errors.ts';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import { canonicalUuid, isUuidLike } from '#lib/domain/uuids.ts';
import type { NodeInfo, NodeInfoFactory } from '#lib/node/node-info.ts';
import type { NodeRecord, NodeStore } from '#lib/ports/node-store.ts';

/** Options of {@link getNodeList}. */
export interface NodeListOptions {
  /** UUID of the last node of the previous page. */
  readonly marker?: string;
  /** Page size; all nodes when omitted. */
  readonly limit?: number;
  /** Only nodes in these states. */
  readonly state?: readonly IntrospectionState[];
}

/** What get_node_list needs. */
export interface GetNodeListDeps {
  readonly nodes: Pick<NodeStore, 'getNode' | 'listNodes'>;
  readonly nodeInfo: NodeInfoFactory;
}

/**
 * Cached nodes strictly after `marker`, in `state` if given.
 *
 * @throws NodeNotFoundInDBError "The requested node was not found." for an unknown marker (404)
 */
export async function getNodeList(deps: GetNodeListDeps, options: NodeListOptions = {}): Promise<NodeInfo[]> {
  let after: NodeRecord | undefined;
  if (options.marker !== undefined) {
    const markerUuid = isUuidLike(options.marker) ? canonicalUuid(options.marker) : options.marker;
    after = await deps.nodes.getNode(markerUuid);
    if (after === undefined) throw new NodeNotFoundInDBError();
  }
  const records = await deps.nodes.listNodes({
    states: options.state ?? STATES,
    ...(after !== undefined ? { after: { startedAt: after.startedAt, uuid: after.uuid } } : {}),
    limit: options.limit ?? Number.POSITIVE_INFINITY,
  });
  return records.map((record) => deps.nodeInfo(record.uuid, record));
}

/**
 * Upstream's `get_node`: a node's cached record by UUID or Ironic node name, unlocked; and the
 * resolution of a node name to its UUID (through Ironic, asking for the UUID only).
 *
 * @example
 * ```ts
 * const nodeInfo = await getNode(deps, 'node-0');   // by name: resolved through Ironic
 * ```
 */
import { NodeNameNotResolvable, NotFoundInCacheError } from '#lib/domain/errors.ts';
import { ironicNode } from '#lib/domain/ironic-calls.ts';
import { assertNodeIdentifier, canonicalUuid, isUuidLike } from '#lib/domain/uuids.ts';
import type { NodeInfo, NodeInfoFactory } from '#lib/node/node-info.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { NodeStore } from '#lib/ports/node-store.ts';

/**
 * The canonical UUID for a UUID (any case, hyphens optional) or an Ironic node name.
 *
 * @throws NodeNotFoundInIronic "Node <name> was not found in Ironic" (404)
 * @throws InspectorError "Cannot get node <name>: <error>" for Ironic's 400
 * @throws InvalidNodeIdentifier (400) for what can be neither a UUID nor a name, Ironic not asked
 * @throws NodeNameNotResolvable when no Ironic client is configured
 */
export async function resolveNodeId(ironic: IronicApi | undefined, nodeId: string): Promise<string> {
  if (isUuidLike(nodeId)) return canonicalUuid(nodeId);
  assertNodeIdentifier(nodeId);
  if (ironic === undefined) throw new NodeNameNotResolvable(nodeId);
  return (await ironicNode(ironic, nodeId, { fields: ['uuid'] })).uuid;
}

/** What get_node needs. */
export interface GetNodeDeps {
  readonly nodes: Pick<NodeStore, 'getNode'>;
  readonly nodeInfo: NodeInfoFactory;
  readonly resolveNodeId: (nodeId: string) => Promise<string>;
}

/**
 * A node's cached record, unlocked.
 *
 * @throws NotFoundInCacheError "Could not find node <uuid> in cache" (404)
 * @throws NodeNameNotResolvable for a name when no Ironic client is configured
 */
export async function getNode(deps: GetNodeDeps, nodeId: string): Promise<NodeInfo> {
  const uuid = await deps.resolveNodeId(nodeId);
  const record = await deps.nodes.getNode(uuid);
  if (record === undefined) throw NotFoundInCacheError.forNode(uuid);
  return deps.nodeInfo(uuid, record);
}

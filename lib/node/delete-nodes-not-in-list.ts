/**
 * Upstream's `delete_nodes_not_in_list` and the periodic Ironic sync built on it: drop every cached
 * node Ironic no longer has, each under its lock (record, lookup attributes, options and introspection
 * data). The sync is the only path that reads every node.
 *
 * @example
 * ```ts
 * const dropped = await syncWithIronic(deps, ironic); // UUIDs dropped from the cache
 * ```
 */
import { NodeLockedError } from '#lib/domain/errors.ts';
import { dropIntrospectionData } from '#lib/node/introspection-data.ts';
import type { NodeInfoFactory } from '#lib/node/node-info.ts';
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { NodeStore } from '#lib/ports/node-store.ts';

/** What delete_nodes_not_in_list needs. */
export interface DeleteNodesDeps {
  readonly nodes: Pick<NodeStore, 'deleteNode' | 'listNodeUuids'>;
  readonly introspectionData: IntrospectionDataStore;
  readonly nodeInfo: NodeInfoFactory;
  readonly logger: Logger;
}

/**
 * Drop every cached node whose UUID is not in `uuids` (Ironic's current nodes). `cached` is the cache's
 * listing when the caller made it already. A node whose lock stays busy past the wait is dropped on a
 * later pass. Returns the UUIDs dropped.
 */
export async function deleteNodesNotInList(
  deps: DeleteNodesDeps,
  uuids: Iterable<string>,
  cached?: readonly string[],
): Promise<string[]> {
  const { logger } = deps;
  const inIronic = new Set(uuids);
  const dropped: string[] = [];
  for (const uuid of cached ?? (await deps.nodes.listNodeUuids())) {
    if (inIronic.has(uuid)) continue;
    logger.warn(`Node ${uuid} was deleted from Ironic, dropping from Ironic Inspector database`, {
      node: uuid,
    });
    const nodeInfo = deps.nodeInfo(uuid);
    try {
      await nodeInfo.acquireLock({ blocking: true });
    } catch (err) {
      if (!(err instanceof NodeLockedError)) throw err;
      logger.warn('Node is busy, dropping it on the next sync', { node: uuid });
      continue;
    }
    try {
      await deps.nodes.deleteNode(uuid);
      await dropIntrospectionData(deps, uuid);
      dropped.push(uuid);
    } finally {
      await nodeInfo.releaseLock();
    }
  }
  return dropped;
}

/**
 * Upstream's periodic `sync_with_ironic`: drop the cached nodes Ironic no longer has.
 */
export async function syncWithIronic(deps: DeleteNodesDeps, ironic: IronicApi): Promise<string[]> {
  // The cache is listed before Ironic: a node enrolled and started in between is not in this cache
  // listing, so it cannot be taken for one Ironic dropped.
  const cached = await deps.nodes.listNodeUuids();
  const inIronic = (await ironic.listNodes({ fields: ['uuid'] })).map((node) => node.uuid);
  return deleteNodesNotInList(deps, inIronic, cached);
}

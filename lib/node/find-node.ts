/**
 * Upstream's `find_node`: the node a ramdisk callback belongs to, by its lookup attributes, returned
 * locked. Each distinct supplied `(name, value)` pair a node holds scores it one point; a tie at the
 * top is an error (docs/design.md#lookup-scoring); a value too long for the index matches nothing.
 * The cost is one index query per pair, whatever the number of cached nodes.
 *
 * @example
 * ```ts
 * const nodeInfo = await findNode(deps, { bmc_address: ['10.0.0.5'], mac: ['52:54:00:12:34:56'] });
 * try { … } finally { await nodeInfo.releaseLock(); }
 * ```
 */
import {
  IntrospectionAlreadyFinishedError,
  MultipleNodesMatchError,
  NodeNotOnIntrospectionError,
  NotFoundInCacheError,
} from '#lib/domain/errors.ts';
import { canonicalLookupValue, fitsLookupIndex, isEmptyInput } from '#lib/domain/lookup-attributes.ts';
import { pyAttributes } from '#lib/domain/python-repr.ts';
import { toPythonStr } from '#lib/domain/timestamps.ts';
import type { LookupAttributes } from '#lib/node/add-node.ts';
import type { NodeInfo, NodeInfoFactory } from '#lib/node/node-info.ts';
import type { NodeStore } from '#lib/ports/node-store.ts';

/** What find_node needs. */
export interface FindNodeDeps {
  readonly nodes: Pick<NodeStore, 'findNodesByLookupAttribute'>;
  readonly nodeInfo: NodeInfoFactory;
}

/**
 * Find the node for `attributes`, best match first, and return it **locked**.
 *
 * @throws NotFoundInCacheError when nothing matches (404)
 * @throws MultipleNodesMatchError on a tie at the top (404)
 * @throws NodeNotOnIntrospectionError when the matched node's record is gone (404)
 * @throws IntrospectionAlreadyFinishedError when its introspection already finished (400)
 * @throws NodeLockedError when its lock stays busy for the whole configured wait (409)
 */
export async function findNode(deps: FindNodeDeps, attributes: LookupAttributes): Promise<NodeInfo> {
  const repr = pyAttributes(attributes);
  const scores = new Map<string, number>();
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    if (isEmptyInput(value)) continue;
    const pairs = new Set(
      (typeof value === 'string' ? [value] : value).map((v) => canonicalLookupValue(name, v)),
    );
    for (const v of pairs) {
      // A value longer than an index key can be stored by no node: it matches nothing (and DynamoDB
      // would refuse the query).
      if (v === '' || !fitsLookupIndex(v)) continue;
      const holders = new Set(await deps.nodes.findNodesByLookupAttribute(name, v));
      for (const uuid of holders) scores.set(uuid, (scores.get(uuid) ?? 0) + 1);
    }
  }
  if (scores.size === 0) throw NotFoundInCacheError.forAttributes(repr);
  const best = Math.max(...scores.values());
  const winners = [...scores].filter(([, score]) => score === best).map(([uuid]) => uuid);
  if (winners.length > 1) throw new MultipleNodesMatchError(repr, winners.sort());
  const uuid = winners[0] as string;

  const nodeInfo = deps.nodeInfo(uuid);
  await nodeInfo.acquireLock({ blocking: true });
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

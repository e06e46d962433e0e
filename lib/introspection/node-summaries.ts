/**
 * Ironic's view of the nodes the inspector knows, for the dashboard: names (the inspector API never
 * returns them), provision states and capabilities, looked up by UUID or found by a MAC through
 * Ironic's ports. Nodes Ironic or the node cache does not have are left out, so the route answers
 * nothing about nodes the inspector never saw.
 *
 * @example
 * ```ts
 * await nodeSummaries({ nodeCache, ironic }, { uuids: [uuid] });
 * // [{ uuid, name: 'node-0', provision_state: 'manageable', capabilities: { cpu_vt: 'true' } }]
 * await nodeSummaries({ nodeCache, ironic }, { mac: '52:54:00:12:34:56' });
 * ```
 */
import { IronicError, NotFoundInCacheError } from '#lib/domain/errors.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';

export interface NodeSummary {
  readonly uuid: string;
  readonly name: string | null;
  readonly provision_state: string | null;
  readonly capabilities: Record<string, string>;
}

/** Ironic calls in flight at once for one request. */
const CONCURRENCY = 8;

/** `properties.capabilities` as a map: Ironic keeps `k1:v1,k2:v2` (or, from some clients, a dict). */
export function parseCapabilities(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof value === 'string') {
    for (const pair of value.split(',')) {
      const at = pair.indexOf(':');
      if (at > 0) result[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    }
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) result[key] = String(v);
  }
  return result;
}

async function inPool<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}

async function summary(
  deps: { nodeCache: NodeCache; ironic: IronicApi },
  uuid: string,
): Promise<NodeSummary | undefined> {
  try {
    await deps.nodeCache.getNode(uuid);
  } catch (err) {
    if (err instanceof NotFoundInCacheError) return undefined;
    throw err;
  }
  let node: IronicNode;
  try {
    node = await deps.ironic.getNode(uuid, { fields: ['uuid', 'name', 'provision_state', 'properties'] });
  } catch (err) {
    if (err instanceof IronicError && err.ironicStatus === 404) return undefined;
    throw err;
  }
  return {
    uuid: node.uuid,
    name: node.name ?? null,
    provision_state: node.provision_state ?? null,
    capabilities: parseCapabilities(node.properties?.capabilities),
  };
}

/** Summaries of the cached nodes among `uuids`, or of the cached nodes with a port of `mac`. */
export async function nodeSummaries(
  deps: { nodeCache: NodeCache; ironic: IronicApi },
  query: { uuids?: readonly string[] | undefined; mac?: string | undefined },
): Promise<NodeSummary[]> {
  let uuids = query.uuids ?? [];
  if (query.mac !== undefined) {
    const ports = await deps.ironic.listPorts({ address: query.mac });
    uuids = [...new Set(ports.map((p) => p.node_uuid).filter((u): u is string => typeof u === 'string'))];
  }
  const found = await inPool(uuids, (uuid) => summary(deps, uuid));
  return found.filter((s): s is NodeSummary => s !== undefined);
}

/**
 * The read-only requests: a node's status (`GET /v1/introspection/<node_id>`), the list
 * (`GET /v1/introspection`) and the stored data (`GET …/data[/unprocessed]`).
 *
 * @example
 * ```ts
 * const nodeInfo = await reads.status('node-0'); // state loaded
 * ```
 */
import { IntrospectionDataStoreDisabled } from '#lib/domain/errors.ts';
import type { NodeListOptions } from '#lib/node/get-node-list.ts';
import type { WhichData } from '#lib/node/introspection-data.ts';
import type { NodeCache } from '#lib/node/node-cache.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/** What the reads need. */
export interface IntrospectionReadsOptions {
  readonly nodeCache: Pick<NodeCache, 'getNode' | 'getNodeList' | 'getIntrospectionData'>;
  /** `[processing]store_data`. */
  readonly storeData: 's3' | 'none';
}

/** The read-only requests. */
export class IntrospectionReads {
  readonly #options: IntrospectionReadsOptions;

  constructor(options: IntrospectionReadsOptions) {
    this.#options = options;
  }

  /** A node's status, its state loaded. */
  async status(nodeId: string): Promise<NodeInfo> {
    const nodeInfo = await this.#options.nodeCache.getNode(nodeId);
    await nodeInfo.state();
    return nodeInfo;
  }

  /** A page of nodes. */
  list(options: NodeListOptions): Promise<NodeInfo[]> {
    return this.#options.nodeCache.getNodeList(options);
  }

  /** A node's stored data: the store only, not the node cache's records. */
  async data(nodeId: string, which: WhichData = {}): Promise<IntrospectionDocument> {
    if (this.#options.storeData === 'none') throw new IntrospectionDataStoreDisabled();
    return this.#options.nodeCache.getIntrospectionData(nodeId, which);
  }
}

/**
 * Listing node records on DynamoDB, from the `nodes-by-state` index (state, list_key =
 * `<started_at>#<uuid>`): the API's merged listing in (started_at, uuid) DESC order with a keyset
 * position, the clean-up's "started before", and the periodic sync's every UUID.
 *
 * @example
 * ```ts
 * const listing = new DynamoDbNodeListing({ table });
 * const page = await listing.listNodes({ states: ['waiting', 'error'], limit: 50 });
 * ```
 */
import { type Item, toRecord } from '#lib/adapters/dynamodb/items.ts';
import { NODES_BY_STATE_INDEX } from '#lib/adapters/dynamodb/table.ts';
import type { NodeCacheTableClient } from '#lib/adapters/dynamodb/table-client.ts';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import { toStoredTimestamp } from '#lib/domain/timestamps.ts';
import { type ListPosition, listOrderKey, type NodeRecord } from '#lib/ports/node-store.ts';

/** The most index items one listing query reads per page. */
const MAX_PAGE_SIZE = 500;

/** What the listing needs: the table. */
export interface DynamoDbNodeListingOptions {
  readonly table: NodeCacheTableClient;
}

/** Reads of the records index. */
export class DynamoDbNodeListing {
  readonly #table: NodeCacheTableClient;

  constructor(options: DynamoDbNodeListingOptions) {
    this.#table = options.table;
  }

  /** Records in `states`, in (started_at, uuid) DESC order, strictly after `after`, at most `limit`. */
  async listNodes(options: {
    states: readonly IntrospectionState[];
    after?: ListPosition;
    limit: number;
  }): Promise<NodeRecord[]> {
    if (options.limit <= 0) return [];
    const pageSize = Math.min(Math.max(options.limit, 1), MAX_PAGE_SIZE);
    const streams = [...new Set(options.states)].map((state) =>
      this.#table.pages({
        IndexName: NODES_BY_STATE_INDEX,
        KeyConditionExpression:
          options.after === undefined ? '#state = :state' : '#state = :state AND list_key < :after',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': state,
          ...(options.after === undefined ? {} : { ':after': listOrderKey(options.after) }),
        },
        ScanIndexForward: false,
        Limit: pageSize,
      }),
    );
    // k-way merge of the per-state streams, each already in list_key DESC order: reads stay in
    // proportion to the page (at most one extra index page per state).
    const heads = await Promise.all(streams.map((s) => s.next()));
    const result: NodeRecord[] = [];
    while (result.length < options.limit) {
      let best = -1;
      let bestKey = '';
      heads.forEach((head, i) => {
        if (head.done) return;
        const key = String(head.value.list_key);
        if (best < 0 || key > bestKey) {
          best = i;
          bestKey = key;
        }
      });
      const chosen = heads[best];
      const stream = streams[best];
      if (chosen === undefined || chosen.done || stream === undefined) break;
      result.push(toRecord(chosen.value));
      heads[best] = await stream.next();
    }
    return result;
  }

  /** Records in `states` whose `started_at` is strictly before `threshold`, state by state. */
  async listNodesStartedBefore(
    states: readonly IntrospectionState[],
    threshold: Date,
  ): Promise<NodeRecord[]> {
    const perState = await Promise.all(
      states.map((state) =>
        this.#table.queryAll({
          IndexName: NODES_BY_STATE_INDEX,
          // list_key starts with started_at, so "< threshold" is "started_at < threshold" (strict);
          // records without started_at (list_key `#<uuid>`, below '0') never match, as upstream.
          KeyConditionExpression: '#state = :state AND list_key BETWEEN :low AND :threshold',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':state': state,
            ':low': '0',
            // "<started_at>#<uuid>" ≤ "<threshold>" exactly when started_at < threshold.
            ':threshold': toStoredTimestamp(threshold),
          },
        }),
      ),
    );
    return perState.flat().map(toRecord);
  }

  /**
   * Records in `states` whose `progress_at` (else `started_at`) is strictly before `threshold`: one
   * query per state partition of the index, filtered on the progress time (transient states hold only
   * the nodes being worked on, so the partitions read are small).
   */
  async listStalledNodes(states: readonly IntrospectionState[], threshold: Date): Promise<NodeRecord[]> {
    const perState = await Promise.all(
      states.map((state) =>
        this.#table.queryAll({
          IndexName: NODES_BY_STATE_INDEX,
          KeyConditionExpression: '#state = :state',
          // Timestamps are stored fixed-width, so string order is time order.
          FilterExpression:
            'progress_at < :threshold OR (attribute_not_exists(progress_at) AND started_at < :threshold)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': state, ':threshold': toStoredTimestamp(threshold) },
        }),
      ),
    );
    return perState.flat().map(toRecord);
  }

  /** Whether any record in `states` has no `finished_at`; stops at the first one. */
  async anyUnfinished(states: readonly IntrospectionState[]): Promise<boolean> {
    for (const state of states) {
      const items: AsyncGenerator<Item> = this.#table.pages({
        IndexName: NODES_BY_STATE_INDEX,
        KeyConditionExpression: '#state = :state',
        FilterExpression: 'attribute_not_exists(finished_at)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': state },
      });
      for await (const _item of items) return true;
    }
    return false;
  }

  /** Every cached node UUID, one query per state. */
  async listNodeUuids(): Promise<string[]> {
    const perState = await Promise.all(
      STATES.map((state) =>
        this.#table.queryAll({
          IndexName: NODES_BY_STATE_INDEX,
          KeyConditionExpression: '#state = :state',
          ProjectionExpression: '#uuid',
          ExpressionAttributeNames: { '#state': 'state', '#uuid': 'uuid' },
          ExpressionAttributeValues: { ':state': state },
        }),
      ),
    );
    return perState.flat().map((item) => String(item.uuid));
  }
}

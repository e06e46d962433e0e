/**
 * Listing node records on DynamoDB, from the `nodes-by-start` (sk, list_key) and `nodes-by-state`
 * (state, list_key) indexes, list_key = `<started_at>#<uuid>`: the API's listing in (started_at, uuid)
 * DESC order with a keyset position, the clean-up's "started before", and the periodic sync's every
 * UUID.
 *
 * @example
 * ```ts
 * const listing = new DynamoDbNodeListing({ table });
 * const page = await listing.listNodes({ states: ['waiting', 'error'], limit: 50 });
 * ```
 */
import { type Item, RECORD_SK, toRecord } from '#lib/adapters/dynamodb/items.ts';
import { NODES_BY_START_INDEX, NODES_BY_STATE_INDEX } from '#lib/adapters/dynamodb/table.ts';
import type { NodeCacheTableClient, PageStart } from '#lib/adapters/dynamodb/table-client.ts';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import { toStoredTimestamp } from '#lib/domain/timestamps.ts';
import { type ListPosition, listOrderKey, type NodeRecord } from '#lib/ports/node-store.ts';

/**
 * The most index items one listing query reads per page: the API's largest page by default (1,000)
 * in one request; records are under 1 KB, so DynamoDB's 1 MB page is not the limit.
 */
const MAX_PAGE_SIZE = 1000;

/** What the listing needs: the table. */
export interface DynamoDbNodeListingOptions {
  readonly table: NodeCacheTableClient;
}

/** Reads of the records' indexes. */
export class DynamoDbNodeListing {
  readonly #table: NodeCacheTableClient;

  constructor(options: DynamoDbNodeListingOptions) {
    this.#table = options.table;
  }

  /**
   * Records in `states`, in (started_at, uuid) DESC order, strictly after `after`, at most `limit`:
   * every state is one query of `nodes-by-start`; some states merge their `nodes-by-state` partitions.
   */
  async listNodes(options: {
    states: readonly IntrospectionState[];
    after?: ListPosition;
    limit: number;
  }): Promise<NodeRecord[]> {
    const states = [...new Set(options.states)];
    if (options.limit <= 0 || states.length === 0) return [];
    const after = options.after === undefined ? undefined : listOrderKey(options.after);
    return states.length === STATES.length
      ? this.#listAll(after, options.limit)
      : this.#mergeStates(states, after, options.limit);
  }

  /** Every state's records, from `nodes-by-start`: pages of no more than the list still needs. */
  async #listAll(after: string | undefined, limit: number): Promise<NodeRecord[]> {
    const records: NodeRecord[] = [];
    let start: PageStart;
    do {
      const page = await this.#table.queryPage(
        {
          IndexName: NODES_BY_START_INDEX,
          // The index's one partition holds every record; `list_key < :after` starts strictly after
          // the keyset position (list_key is `<started_at>#<uuid>`, the listing order).
          KeyConditionExpression: after === undefined ? 'sk = :record' : 'sk = :record AND list_key < :after',
          ExpressionAttributeValues: {
            ':record': RECORD_SK,
            ...(after === undefined ? {} : { ':after': after }),
          },
          ScanIndexForward: false,
          Limit: Math.min(limit - records.length, MAX_PAGE_SIZE),
        },
        start,
      );
      for (const item of page.items) records.push(toRecord(item));
      start = page.next;
    } while (start !== undefined && records.length < limit);
    return records;
  }

  /**
   * Some states' records: a k-way merge of their `nodes-by-state` partitions, each already in list_key
   * DESC order. Reads stay in proportion to the page: a state's next page is read only when the merge
   * reaches its end and the list still needs more, and holds no more than the list still needs.
   */
  async #mergeStates(
    states: readonly IntrospectionState[],
    after: string | undefined,
    limit: number,
  ): Promise<NodeRecord[]> {
    const query = (state: IntrospectionState, wanted: number) => ({
      IndexName: NODES_BY_STATE_INDEX,
      // One state's partition; `list_key < :after` starts strictly after the keyset position.
      KeyConditionExpression:
        after === undefined ? '#state = :state' : '#state = :state AND list_key < :after',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': state, ...(after === undefined ? {} : { ':after': after }) },
      ScanIndexForward: false,
      Limit: Math.min(wanted, MAX_PAGE_SIZE),
    });
    // Each state's current page, the merge's place in it, and where its next page starts.
    const streams = await Promise.all(
      states.map(async (state) => {
        const page = await this.#table.queryPage(query(state, limit), undefined);
        return { state, items: page.items, at: 0, next: page.next };
      }),
    );
    const result: NodeRecord[] = [];
    while (result.length < limit) {
      let best: (typeof streams)[number] | undefined;
      let bestKey = '';
      for (const stream of streams) {
        const item = stream.items[stream.at];
        if (item === undefined) continue;
        const key = String(item.list_key);
        if (best === undefined || key > bestKey) {
          best = stream;
          bestKey = key;
        }
      }
      const chosen = best?.items[best.at];
      if (best === undefined || chosen === undefined) break;
      result.push(toRecord(chosen));
      best.at++;
      while (best.at === best.items.length && best.next !== undefined && result.length < limit) {
        const page = await this.#table.queryPage(query(best.state, limit - result.length), best.next);
        best.items = page.items;
        best.at = 0;
        best.next = page.next;
      }
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

  /** Every cached node UUID, from `nodes-by-start`. */
  async listNodeUuids(): Promise<string[]> {
    const items = await this.#table.queryAll({
      IndexName: NODES_BY_START_INDEX,
      // The index's one partition holds every record; of each, only its UUID is read back.
      KeyConditionExpression: 'sk = :record',
      ProjectionExpression: '#uuid',
      ExpressionAttributeNames: { '#uuid': 'uuid' },
      ExpressionAttributeValues: { ':record': RECORD_SK },
    });
    return items.map((item) => String(item.uuid));
  }
}

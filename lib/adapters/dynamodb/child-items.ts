/**
 * A node's children (lookup attributes and options) and the count the record keeps of them: every
 * transaction that adds children moves `child_count` under a version condition, and every transaction
 * that drops them is conditioned on the count read with them, so no child is ever missed or orphaned
 * (docs/design.md#child-count).
 *
 * @example
 * ```ts
 * const children = new NodeChildItems({ table });
 * await table.transact([children.countAdded(uuid, versionId, 1), children.putAttribute(uuid, row)]);
 * ```
 */
import {
  attributeItem,
  isChildSortKey,
  nodeKey,
  RECORD_SK,
  recordKey,
} from '#lib/adapters/dynamodb/items.ts';
import type { NodeCacheTableClient, TransactItem } from '#lib/adapters/dynamodb/table-client.ts';
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';
import { TRANSITION_ATTRIBUTE } from '#lib/events/state-changed.ts';
import { type LookupAttributeRow, MAX_CHILD_ITEMS_PER_NODE } from '#lib/ports/node-store.ts';

/** How often a finish/replace/delete re-reads the children after a concurrent child write moved the count. */
export const CHILD_COUNT_ATTEMPTS = 3;

/** What the child items need: the table. */
export interface NodeChildItemsOptions {
  readonly table: NodeCacheTableClient;
}

/** Reads a node's children and builds the transaction items that keep their count. */
export class NodeChildItems {
  readonly #table: NodeCacheTableClient;

  constructor(options: NodeChildItemsOptions) {
    this.#table = options.table;
  }

  /** Sort keys of the node's lookup attributes and options (consistent read). */
  async keys(uuid: string): Promise<string[]> {
    const items = await this.#table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'sk',
      ExpressionAttributeValues: { ':pk': nodeKey(uuid) },
      ConsistentRead: true,
    });
    return items.map((item) => String(item.sk)).filter(isChildSortKey);
  }

  /**
   * Read the children, build a transaction conditioned on their count, and run it. When the condition
   * fails only because a child was added in between (version unchanged), read again and retry; a
   * version change is a race for the caller. `expectedVersionId` is the version the first item is
   * conditioned on (null: it requires no record).
   */
  async transactWithFresh(
    uuid: string,
    expectedVersionId: string | null,
    build: (children: string[]) => TransactItem[],
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // No record, no children: children are only added under the record's version and only removed
      // with it. Should a record (and children) appear meanwhile, the first item's condition on
      // there being no record fails the transaction, so the read it saves cannot miss a child.
      const children = expectedVersionId === null && attempt === 1 ? [] : await this.keys(uuid);
      const items = build(children);
      try {
        await this.#table.transact(items);
        return;
      } catch (err) {
        if (!(err instanceof NodeStateRaceCondition) || attempt >= CHILD_COUNT_ATTEMPTS) throw err;
        const record = await this.#table.getItem(recordKey(uuid));
        const stillSameVersion =
          expectedVersionId === null ? record === undefined : record?.version_id === expectedVersionId;
        if (!stillSameVersion) throw err;
      }
    }
  }

  /** A condition check on the record's version that also moves its child count by `adding`. */
  countAdded(uuid: string, expectedVersionId: string, adding: number): TransactItem {
    return {
      Update: {
        TableName: this.#table.name,
        Key: recordKey(uuid),
        // Not a state change: the record version this makes must not reach the events (stream filter).
        UpdateExpression: 'SET child_count = if_not_exists(child_count, :zero) + :adding REMOVE #transition',
        // Prevents attaching children to a record this writer no longer knows (re-created by a new
        // start, or finished by someone else), and a node outgrowing one transaction's item limit.
        ConditionExpression:
          'version_id = :expected AND (attribute_not_exists(child_count) OR child_count <= :room)',
        ExpressionAttributeValues: {
          ':expected': expectedVersionId,
          ':zero': 0,
          ':adding': adding,
          ':room': MAX_CHILD_ITEMS_PER_NODE - adding,
        },
        ExpressionAttributeNames: { '#transition': TRANSITION_ATTRIBUTE },
      },
    };
  }

  /** Put one lookup attribute row. */
  putAttribute(uuid: string, row: LookupAttributeRow): TransactItem {
    return { Put: { TableName: this.#table.name, Item: attributeItem(uuid, row) } };
  }

  /** Delete one child (by sort key). */
  deleteChild(uuid: string, sk: string): TransactItem {
    return { Delete: { TableName: this.#table.name, Key: { pk: nodeKey(uuid), sk } } };
  }

  /** Delete the record, `child_count` permitting, and the children read with it. */
  deleteRecordWith(uuid: string, children: readonly string[]): TransactItem[] {
    return [
      {
        Delete: {
          TableName: this.#table.name,
          Key: { pk: nodeKey(uuid), sk: RECORD_SK },
          // Prevents orphans: a lookup attribute or option added after the children were read
          // would outlive the record (and keep matching lookups) if the delete went ahead.
          ConditionExpression:
            'attribute_not_exists(pk) OR attribute_not_exists(child_count) OR child_count = :children',
          ExpressionAttributeValues: { ':children': children.length },
        },
      },
      ...children.map((sk) => this.deleteChild(uuid, sk)),
    ];
  }
}

/**
 * The node store on DynamoDB: node records and their children (lookup attributes, options), written
 * with conditional writes on the record's version and `TransactWriteItems` for every change that spans
 * items (`table.ts` shows the items). Listing and lookup are their own classes, reached through here.
 *
 * @example
 * ```ts
 * const nodes = new DynamoDbNodeStore({ table: new NodeCacheTableClient({ documentClient, tableName }) });
 * await nodes.updateNode(uuid, versionId, { state: 'waiting' }, newVersionId);
 * ```
 */
import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CHILD_COUNT_ATTEMPTS, NodeChildItems } from '#lib/adapters/dynamodb/child-items.ts';
import {
  ATTR_PREFIX,
  type Item,
  nodeKey,
  OPTION_PREFIX,
  optionKey,
  recordItem,
  recordKey,
  recordUpdate,
  toLookupAttributeRow,
  toRecord,
} from '#lib/adapters/dynamodb/items.ts';
import { DynamoDbLookup } from '#lib/adapters/dynamodb/lookup.ts';
import { DynamoDbNodeListing } from '#lib/adapters/dynamodb/node-listing.ts';
import {
  conditionFailedItem,
  type NodeCacheTableClient,
  type TransactItem,
  withConflictRetries,
} from '#lib/adapters/dynamodb/table-client.ts';
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import type {
  ListPosition,
  LookupAttributeRow,
  NodeChildRows,
  NodeRecord,
  NodeRecordChanges,
  NodeStore,
} from '#lib/ports/node-store.ts';

/** What the node store needs: the table. */
export interface DynamoDbNodeStoreOptions {
  readonly table: NodeCacheTableClient;
}

/** DynamoDB implementation of {@link NodeStore}. */
export class DynamoDbNodeStore implements NodeStore {
  readonly #table: NodeCacheTableClient;
  readonly #children: NodeChildItems;
  readonly #listing: DynamoDbNodeListing;
  readonly #lookup: DynamoDbLookup;

  constructor(options: DynamoDbNodeStoreOptions) {
    this.#table = options.table;
    this.#children = new NodeChildItems(options);
    this.#listing = new DynamoDbNodeListing(options);
    this.#lookup = new DynamoDbLookup(options);
  }

  async getNode(uuid: string): Promise<NodeRecord | undefined> {
    const item = await this.#table.getItem(recordKey(uuid));
    return item === undefined ? undefined : toRecord(item);
  }

  async getLookupAttributes(uuid: string): Promise<LookupAttributeRow[]> {
    const items = await this.#queryChildren(uuid, ATTR_PREFIX);
    return items.map(toLookupAttributeRow);
  }

  async getOptions(uuid: string): Promise<Map<string, string>> {
    const items = await this.#queryChildren(uuid, OPTION_PREFIX);
    return new Map(items.map((item) => [String(item.option_name), String(item.option_value)]));
  }

  async getChildren(uuid: string): Promise<NodeChildRows> {
    // Lookup attributes (ATTR#…) and options (OPTION#…) in one query: only the lease (LEASE) sorts
    // between them, and it is skipped here. Consistent, as the two reads it replaces.
    const items = await this.#table.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': nodeKey(uuid),
        ':first': ATTR_PREFIX,
        ':last': `${OPTION_PREFIX}\uffff`,
      },
      ConsistentRead: true,
    });
    const sortKey = (item: Item) => String(item.sk);
    return {
      attributes: items.filter((item) => sortKey(item).startsWith(ATTR_PREFIX)).map(toLookupAttributeRow),
      options: new Map(
        items
          .filter((item) => sortKey(item).startsWith(OPTION_PREFIX))
          .map((item) => [String(item.option_name), String(item.option_value)]),
      ),
    };
  }

  async replaceNode(
    record: NodeRecord,
    attributes: readonly LookupAttributeRow[],
    expectedVersionId: string | null,
  ): Promise<void> {
    await this.#children.transactWithFresh(record.uuid, expectedVersionId, (children) => {
      const put: TransactItem = {
        Put: {
          TableName: this.#table.name,
          Item: { ...recordItem(record), child_count: attributes.length },
          // Prevents two writers replacing one record from both winning (two starts of one node, a
          // start racing a finish): the replacement only lands on the record version the caller saw,
          // with exactly the children read just before, so none survives the replacement.
          ...(expectedVersionId === null
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version_id = :expected AND child_count = :children',
                ExpressionAttributeValues: { ':expected': expectedVersionId, ':children': children.length },
              }),
        },
      };
      return [
        put,
        ...children.map((sk) => this.#children.deleteChild(record.uuid, sk)),
        ...attributes.map((row) => this.#children.putAttribute(record.uuid, row)),
      ];
    });
  }

  async updateNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void> {
    const update = recordUpdate(uuid, changes, newVersionId);
    const send = () =>
      this.#table.db.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: recordKey(uuid),
          UpdateExpression: update.expression,
          // Prevents a lost update: a writer holding a stale read (another NodeInfo changed the
          // record, or the record was dropped and re-created) must not overwrite the newer state.
          ConditionExpression: 'version_id = :expected',
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: { ...update.values, ':expected': expectedVersionId },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    try {
      await withConflictRetries(send, (err) => err instanceof TransactionConflictException);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        // The SDK retries a request whose answer was lost; if the first attempt landed, the record
        // already carries our new version, and that is success, not a race.
        if (conditionFailedItem(err)?.version_id === newVersionId) return;
        throw new NodeStateRaceCondition();
      }
      if (err instanceof TransactionConflictException) throw new NodeStateRaceCondition();
      throw err;
    }
  }

  async finishNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void> {
    const update = recordUpdate(uuid, changes, newVersionId, ['child_count = :zero']);
    await this.#children.transactWithFresh(uuid, expectedVersionId, (children) => [
      {
        Update: {
          TableName: this.#table.name,
          Key: recordKey(uuid),
          UpdateExpression: update.expression,
          // Prevents a stale finisher overwriting a newer state (version), and a lookup attribute or
          // option added concurrently from outliving the finish (child count read with the children).
          ConditionExpression: 'version_id = :expected AND child_count = :children',
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: {
            ...update.values,
            ':expected': expectedVersionId,
            ':children': children.length,
            ':zero': 0,
          },
        },
      },
      ...children.map((sk) => this.#children.deleteChild(uuid, sk)),
    ]);
  }

  async addLookupAttributes(
    uuid: string,
    expectedVersionId: string,
    rows: readonly LookupAttributeRow[],
  ): Promise<void> {
    await this.#table.transact([
      this.#children.countAdded(uuid, expectedVersionId, rows.length),
      ...rows.map((row) => this.#children.putAttribute(uuid, row)),
    ]);
  }

  async putOption(uuid: string, expectedVersionId: string, name: string, json: string): Promise<void> {
    const key = optionKey(uuid, name);
    const isNew = (await this.#table.getItem(key)) === undefined;
    await this.#table.transact([
      this.#children.countAdded(uuid, expectedVersionId, isNew ? 1 : 0),
      {
        Put: {
          TableName: this.#table.name,
          Item: { ...key, option_name: name, option_value: json },
          // Prevents the child count drifting: the option must still be absent (or present) as read.
          ConditionExpression: isNew ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
        },
      },
    ]);
  }

  async deleteNode(uuid: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const children = await this.#children.keys(uuid);
      try {
        await this.#table.transact(this.#children.deleteRecordWith(uuid, children));
        return;
      } catch (err) {
        // A child was added between the read and the delete: read the children again.
        if (!(err instanceof NodeStateRaceCondition) || attempt >= CHILD_COUNT_ATTEMPTS) throw err;
      }
    }
  }

  findNodesByLookupAttribute(name: string, value: string): Promise<string[]> {
    return this.#lookup.findNodesByLookupAttribute(name, value);
  }

  listLookupAttributeValues(name: string): Promise<string[]> {
    return this.#lookup.listLookupAttributeValues(name);
  }

  listNodes(options: {
    states: readonly IntrospectionState[];
    after?: ListPosition;
    limit: number;
  }): Promise<NodeRecord[]> {
    return this.#listing.listNodes(options);
  }

  listNodesStartedBefore(states: readonly IntrospectionState[], threshold: Date): Promise<NodeRecord[]> {
    return this.#listing.listNodesStartedBefore(states, threshold);
  }

  listStalledNodes(states: readonly IntrospectionState[], threshold: Date): Promise<NodeRecord[]> {
    return this.#listing.listStalledNodes(states, threshold);
  }

  anyUnfinished(states: readonly IntrospectionState[]): Promise<boolean> {
    return this.#listing.anyUnfinished(states);
  }

  listNodeUuids(): Promise<string[]> {
    return this.#listing.listNodeUuids();
  }

  /** The node's children whose sort keys start with `prefix`, in sort-key order (consistent read). */
  #queryChildren(uuid: string, prefix: string) {
    return this.#table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': nodeKey(uuid), ':prefix': prefix },
      ConsistentRead: true,
    });
  }
}

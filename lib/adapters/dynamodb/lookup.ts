/**
 * Lookup on DynamoDB: which nodes hold a lookup attribute, read from the `lookup-attributes` index
 * (attr_name, attr_value), one query per key and never a Scan.
 *
 * @example
 * ```ts
 * const lookup = new DynamoDbLookup({ table });
 * await lookup.findNodesByLookupAttribute('mac', '11:22:33:44:55:66'); // ['<uuid>']
 * ```
 */
import { LOOKUP_ATTRIBUTES_INDEX } from '#lib/adapters/dynamodb/table.ts';
import type { NodeCacheTableClient } from '#lib/adapters/dynamodb/table-client.ts';

/** What the lookup needs: the table. */
export interface DynamoDbLookupOptions {
  readonly table: NodeCacheTableClient;
}

/** `find_node`'s and `active_macs`' reads of the lookup attribute index. */
export class DynamoDbLookup {
  readonly #table: NodeCacheTableClient;

  constructor(options: DynamoDbLookupOptions) {
    this.#table = options.table;
  }

  /** UUIDs of the nodes holding a row `(name, value)`, one entry per row. */
  async findNodesByLookupAttribute(name: string, value: string): Promise<string[]> {
    const items = await this.#table.queryAll({
      IndexName: LOOKUP_ATTRIBUTES_INDEX,
      KeyConditionExpression: 'attr_name = :name AND attr_value = :value',
      ExpressionAttributeValues: { ':name': name, ':value': value },
    });
    return items.map((item) => String(item.node_uuid));
  }

  /** Every value of lookup attributes called `name`, in value order. */
  async listLookupAttributeValues(name: string): Promise<string[]> {
    const items = await this.#table.queryAll({
      IndexName: LOOKUP_ATTRIBUTES_INDEX,
      KeyConditionExpression: 'attr_name = :name',
      ExpressionAttributeValues: { ':name': name },
    });
    return items.map((item) => String(item.attr_value));
  }
}

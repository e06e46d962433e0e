/**
 * The node cache table: its items, key schema and indexes, and its creation for DynamoDB Local and
 * tests (in AWS the CDK stack creates it from {@link NODE_CACHE_TABLE_SCHEMA}). One table, no Scan
 * anywhere (docs/design.md#node-cache-table).
 *
 * Items (partition `pk`, sort `sk`):
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | node record | `NODE#<uuid>` | `RECORD` | uuid, state, version_id, started_at, finished_at, error, manage_boot, list_key, child_count, transition |
 * | lookup attribute | `NODE#<uuid>` | `ATTR#<row id>` | node_uuid, attr_name, attr_value |
 * | option | `NODE#<uuid>` | `OPTION#<name>` | option_name, option_value (JSON) |
 * | lease | `NODE#<uuid>` | `LEASE` | owner, expires_at (ms), ttl (s) |
 * | power slots | `THROTTLE` | `POWER` | next_slot (ms) |
 * | rule, listed | `RULES` | `RULE#<created_at>#<uuid>` | rule_uuid, rule (JSON) (`rule-store.ts`) |
 * | rule, by UUID | `RULE#<uuid>` | `RULE` | list_sk, rule (JSON) |
 *
 * Indexes:
 * - `nodes-by-state` (state, list_key = `<started_at>#<uuid>`), records only: a listing of some states
 *   merges their partitions in (started_at, uuid) DESC order; clean-up reads the partitions of the
 *   active states below a `started_at` threshold.
 * - `nodes-by-start` (sk, list_key), records only (the one item kind with a `list_key`, so the one
 *   partition `RECORD`): the listing of every state, one query in (started_at, uuid) DESC order
 *   instead of one per state, and the periodic sync's every UUID.
 * - `lookup-attributes` (attr_name, attr_value), lookup attribute rows only: `find_node` queries one
 *   key per supplied value; `active_macs` reads the `mac` partition.
 *
 * `transition` (a map, `lib/events/state-changed.ts`) is on a record version only when the write that
 * made it changed the state; every other write of the record removes it, so the table's stream
 * (filtered on it, docs/events.md) carries each state change once.
 *
 * `child_count` on the record counts its lookup attributes and options; every write that adds a child
 * moves it in the same transaction, so a replacement or a finish conditioned on it cannot miss a
 * child added concurrently.
 *
 * @example
 * ```ts
 * await createNodeCacheTable(dynamoDbClient, 'serverless-inspector-node-cache');
 * ```
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';

/** Index names, shared with the CDK stack. */
export const NODES_BY_STATE_INDEX = 'nodes-by-state';
export const NODES_BY_START_INDEX = 'nodes-by-start';
export const LOOKUP_ATTRIBUTES_INDEX = 'lookup-attributes';

/** The table's key schema and indexes: what `createNodeCacheTable` and the CDK stack both create. */
export const NODE_CACHE_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  /** The stream the introspection events come from (the record's new image carries the change). */
  streamViewType: 'NEW_IMAGE',
  indexes: [
    { name: NODES_BY_STATE_INDEX, partitionKey: 'state', sortKey: 'list_key', projection: 'ALL' },
    { name: NODES_BY_START_INDEX, partitionKey: 'sk', sortKey: 'list_key', projection: 'ALL' },
    {
      name: LOOKUP_ATTRIBUTES_INDEX,
      partitionKey: 'attr_name',
      sortKey: 'attr_value',
      projection: 'INCLUDE',
      nonKeyAttributes: ['node_uuid'],
    },
  ],
} as const;

/** The index definitions of {@link NODE_CACHE_TABLE_SCHEMA}, as DynamoDB's API takes them. */
function globalSecondaryIndexes(): GlobalSecondaryIndex[] {
  return NODE_CACHE_TABLE_SCHEMA.indexes.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection:
      index.projection === 'INCLUDE'
        ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] }
        : { ProjectionType: 'ALL' },
  }));
}

/**
 * Create the node cache table (on-demand, with its indexes) if it does not exist, and add the indexes
 * a table from an earlier version lacks (`npm start` keeps its table between runs): for DynamoDB Local
 * and tests. In AWS the CDK stack creates it from {@link NODE_CACHE_TABLE_SCHEMA}.
 *
 * @example
 * ```ts
 * await createNodeCacheTable(new DynamoDBClient({ endpoint }), 'node-cache-test');
 * ```
 */
export async function createNodeCacheTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const s = NODE_CACHE_TABLE_SCHEMA;
  const attributeNames = new Set<string>([s.partitionKey, s.sortKey]);
  for (const index of s.indexes) {
    attributeNames.add(index.partitionKey);
    attributeNames.add(index.sortKey);
  }
  const AttributeDefinitions: AttributeDefinition[] = [...attributeNames].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: s.streamViewType },
    AttributeDefinitions,
    KeySchema: [
      { AttributeName: s.partitionKey, KeyType: 'HASH' },
      { AttributeName: s.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: globalSecondaryIndexes(),
  };
  try {
    await client.send(new CreateTableCommand(input));
    return;
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  // One index per UpdateTable, as DynamoDB allows; DynamoDB Local builds it at once.
  for (const index of globalSecondaryIndexes().filter((i) => !present.has(i.IndexName))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
}

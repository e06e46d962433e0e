/**
 * The DynamoDB stores' table as DynamoDB Local sees it: what the contract suite cannot observe
 * through the ports (the table's indexes, the items' bookkeeping attributes, the lease's TTL).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LEASE_SK, recordKey } from '#lib/adapters/dynamodb/items.ts';
import { dynamoDbDocumentClient, dynamoDbStores } from '#lib/adapters/dynamodb/stores.ts';
import { createNodeCacheTable, NODE_CACHE_TABLE_SCHEMA } from '#lib/adapters/dynamodb/table.ts';
import { STATES } from '#lib/domain/state-machine.ts';
import { testRecord, testRows } from '#test/support/stores.ts';

const client = new DynamoDBClient({ region: 'us-east-1', endpoint: inject('dynamoDbEndpoint') });
const documentClient = dynamoDbDocumentClient(client);
afterAll(() => client.destroy());

async function freshTable(): Promise<string> {
  const tableName = `integration-${randomUUID()}`;
  await createNodeCacheTable(client, tableName);
  return tableName;
}

async function item(
  tableName: string,
  key: Record<string, string>,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

describe('node cache table on DynamoDB Local', () => {
  it('is created with the schema the CDK stack uses, and creating it again is fine', async () => {
    const tableName = await freshTable();
    await createNodeCacheTable(client, tableName);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: NODE_CACHE_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: NODE_CACHE_TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName,
      keys: index.KeySchema?.map((k) => k.AttributeName),
      projection: index.Projection?.ProjectionType,
    }));
    expect(indexes.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: 'lookup-attributes', keys: ['attr_name', 'attr_value'], projection: 'INCLUDE' },
      { name: 'nodes-by-start', keys: ['sk', 'list_key'], projection: 'ALL' },
      { name: 'nodes-by-state', keys: ['state', 'list_key'], projection: 'ALL' },
    ]);
  });

  it('adds the indexes a table from an earlier version lacks, built from the items already there', async () => {
    const tableName = `integration-${randomUUID()}`;
    const key = (name: string, type: 'HASH' | 'RANGE') => ({ AttributeName: name, KeyType: type });
    // The table as versions before `nodes-by-start` created it.
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'state', 'list_key', 'attr_name', 'attr_value'].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        KeySchema: [key('pk', 'HASH'), key('sk', 'RANGE')],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'nodes-by-state',
            KeySchema: [key('state', 'HASH'), key('list_key', 'RANGE')],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'lookup-attributes',
            KeySchema: [key('attr_name', 'HASH'), key('attr_value', 'RANGE')],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['node_uuid'] },
          },
        ],
      }),
    );
    const { nodes } = dynamoDbStores({ documentClient, tableName });
    const older = testRecord({ state: 'finished', startedAt: new Date('2026-03-01T10:00:00Z') });
    const newer = testRecord({ state: 'waiting', startedAt: new Date('2026-03-01T11:00:00Z') });
    await nodes.replaceNode(older, testRows('mac', ['aa']), null);
    await nodes.replaceNode(newer, [], null);
    await createNodeCacheTable(client, tableName);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
      'lookup-attributes',
      'nodes-by-start',
      'nodes-by-state',
    ]);
    // The listing of every state reads the new index: the records written before it are there.
    const listed = await nodes.listNodes({ states: STATES, limit: 10 });
    expect(listed.map((r) => r.uuid)).toEqual([newer.uuid, older.uuid]);
    expect((await nodes.listNodeUuids()).sort()).toEqual([newer.uuid, older.uuid].sort());
  });

  it('keeps the listing key and the child count on the record in step with its writes', async () => {
    const tableName = await freshTable();
    const { nodes } = dynamoDbStores({ documentClient, tableName });
    const record = testRecord({ startedAt: new Date('2026-03-01T10:00:00.123Z') });
    await nodes.replaceNode(record, testRows('mac', ['aa', 'bb']), null);
    expect(await item(tableName, recordKey(record.uuid))).toMatchObject({
      list_key: `2026-03-01T10:00:00.123000#${record.uuid}`,
      child_count: 2,
    });
    await nodes.addLookupAttributes(record.uuid, 'v1', testRows('mac', ['cc'], 's'));
    await nodes.putOption(record.uuid, 'v1', 'x', '1');
    await nodes.putOption(record.uuid, 'v1', 'x', '2');
    expect((await item(tableName, recordKey(record.uuid)))?.child_count).toBe(4);
    await nodes.updateNode(record.uuid, 'v1', { startedAt: null }, 'v2');
    expect(await item(tableName, recordKey(record.uuid))).toMatchObject({
      list_key: `#${record.uuid}`,
      child_count: 4,
    });
    await nodes.finishNode(record.uuid, 'v2', { state: 'finished' }, 'v3');
    expect((await item(tableName, recordKey(record.uuid)))?.child_count).toBe(0);
  });

  it('writes a lease with a TTL a day past its expiry, so abandoned leases are collected', async () => {
    const tableName = await freshTable();
    const { leases } = dynamoDbStores({ documentClient, tableName });
    const expiresAtMs = 1_800_000_120_500;
    await leases.tryAcquireLease('node-1', 'a', 1_800_000_000_000, expiresAtMs);
    expect(await item(tableName, { pk: 'NODE#node-1', sk: LEASE_SK })).toEqual({
      pk: 'NODE#node-1',
      sk: LEASE_SK,
      owner: 'a',
      expires_at: expiresAtMs,
      ttl: 1_800_000_121 + 86_400,
    });
  });
});

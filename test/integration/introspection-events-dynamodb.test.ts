/**
 * The introspection events on DynamoDB Local: the node cache's writes read back from the table's
 * stream (each state change exactly once), a kept table without a stream, and the local stack on
 * DynamoDB Local posting them to `EVENTS_URL`. The pure mapping and the in-memory runs:
 * test/unit/introspection-events.test.ts.
 */
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { followStateChanges } from '#lib/adapters/dynamodb/stream-events.ts';
import { newUuid, nodeCacheFixture } from '#test/support/fixture.ts';
import { describeLocalStackEvents, describeNodeCacheEvents } from '#test/support/state-change-events.ts';

describeNodeCacheEvents('local-services');
describeLocalStackEvents('local-services');

describe('the stream of a kept table', () => {
  it('a table made before the stream existed (a kept local table) gets its stream', async () => {
    const { CreateTableCommand, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
    const f = await nodeCacheFixture({ stores: 'local-services' });
    const dynamoDb = f.clients?.dynamoDb;
    if (dynamoDb === undefined) throw new Error('no DynamoDB client');
    const streams = new DynamoDBStreamsClient({ endpoint: f.config.dynamoDbEndpoint, region: 'us-east-1' });
    const table = `old-${newUuid()}`;
    await dynamoDb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const follow = await followStateChanges({
      dynamoDb: dynamoDb,
      streams,
      tableName: table,
      logger: f.logger,
      pollMs: 50,
      onEvent: () => undefined,
    });
    await follow.stop();
    streams.destroy();
    const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
  });
});

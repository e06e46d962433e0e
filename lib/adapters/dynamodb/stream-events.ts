/**
 * Introspection events from the node cache table's stream, outside AWS: what EventBridge Pipes does in
 * the stack, done by polling the stream of DynamoDB Local (the local stack). Each stream record goes
 * through {@link stateChangedEvent} — the pipe's own filter pattern and input template — so locally
 * and in AWS the same record versions become the same events.
 *
 * Shards are read in order, one record after the other; shards open when it starts are read from
 * their end (events from before are not replayed), shards that appear later from their beginning.
 *
 * @example
 * ```ts
 * const follower = await followStateChanges({ dynamoDb, streams, tableName, logger,
 *   onEvent: (event) => console.log(eventLine(event)) });
 * await follower.stop();
 * ```
 */
import { DescribeTableCommand, type DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
} from '@aws-sdk/client-dynamodb-streams';
import { NODE_CACHE_TABLE_SCHEMA } from '#lib/adapters/dynamodb/table.ts';
import {
  type StateChangedEventSink,
  type StateChangeFollower,
  stateChangedEvent,
} from '#lib/events/state-changed.ts';
import type { Logger } from '#lib/ports/logger.ts';

export interface FollowStateChangesOptions {
  readonly dynamoDb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableName: string;
  readonly logger: Logger;
  /** Called once per event, in stream order; a throw is logged and the event is not retried. */
  readonly onEvent: StateChangedEventSink;
  /** Pause between polls of an idle stream (default 250 ms). */
  readonly pollMs?: number;
}

export type { StateChangeFollower };

interface Shard {
  iterator: string | undefined;
  lastSequence: string | undefined;
}

/** The table's stream ARN, enabling the stream first on a table made before it had one. */
async function streamArn(dynamoDb: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled && Table.LatestStreamArn) return Table.LatestStreamArn;
  await dynamoDb.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: NODE_CACHE_TABLE_SCHEMA.streamViewType },
    }),
  );
  const after = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
  if (!after.Table?.LatestStreamArn) throw new Error(`Table ${tableName} has no stream`);
  return after.Table.LatestStreamArn;
}

/** Start following the table's stream. */
export async function followStateChanges(options: FollowStateChangesOptions): Promise<StateChangeFollower> {
  const { streams, logger } = options;
  const arn = await streamArn(options.dynamoDb, options.tableName);
  const pollMs = options.pollMs ?? 250;
  const shards = new Map<string, Shard>();
  let stopped = false;
  let first = true;
  let waiters: Array<() => void> = [];

  async function iterator(shardId: string, shard: Shard, fromStart: boolean): Promise<string | undefined> {
    const input: GetShardIteratorCommandInput =
      shard.lastSequence !== undefined
        ? {
            StreamArn: arn,
            ShardId: shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            SequenceNumber: shard.lastSequence,
          }
        : { StreamArn: arn, ShardId: shardId, ShardIteratorType: fromStart ? 'TRIM_HORIZON' : 'LATEST' };
    return (await streams.send(new GetShardIteratorCommand(input))).ShardIterator;
  }

  /** One pass: discover shards, read every open shard to its current end. */
  async function pass(): Promise<void> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    for (const s of StreamDescription?.Shards ?? []) {
      if (s.ShardId === undefined || shards.has(s.ShardId)) continue;
      const shard: Shard = { iterator: undefined, lastSequence: undefined };
      shard.iterator = await iterator(s.ShardId, shard, !first);
      shards.set(s.ShardId, shard);
    }
    first = false;
    for (const [shardId, shard] of shards) {
      while (shard.iterator !== undefined && !stopped) {
        let page: GetRecordsCommandOutput;
        try {
          page = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator }));
        } catch (err) {
          if ((err as Error).name !== 'ExpiredIteratorException') throw err;
          shard.iterator = await iterator(shardId, shard, true);
          continue;
        }
        for (const record of page.Records ?? []) {
          shard.lastSequence = record.dynamodb?.SequenceNumber ?? shard.lastSequence;
          const event = stateChangedEvent(record);
          if (event === undefined) continue;
          try {
            await options.onEvent(event);
          } catch (err) {
            logger.error('Could not hand on an introspection event', {
              node: event.detail.node,
              error: String(err),
            });
          }
        }
        // A closed shard has no next iterator; an open one returns an empty page at its end.
        shard.iterator = page.NextShardIterator ?? undefined;
        if ((page.Records ?? []).length === 0) break;
      }
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await pass();
      } catch (err) {
        if (!stopped)
          logger.warn('Reading the node cache stream failed; trying again', { error: String(err) });
      }
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  // The first pass positions the open shards at their end: what is written after this returns is seen.
  await new Promise<void>((resolve) => waiters.push(resolve));

  return {
    async drain() {
      // A pass that starts after this call sees everything written before it: wait for two rounds.
      for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    async stop() {
      stopped = true;
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
      await loop;
    },
  };
}

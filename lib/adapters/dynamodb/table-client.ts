/**
 * Requests to the node cache table that every DynamoDB store shares: consistent reads, paged queries,
 * and transactions whose failed conditions become NodeStateRaceCondition while transaction conflicts
 * are retried with one backoff.
 *
 * @example
 * ```ts
 * const table = new NodeCacheTableClient({ documentClient, tableName: 'node-cache' });
 * const item = await table.getItem(recordKey(uuid));
 * ```
 */
import { type ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type NativeAttributeValue, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Item } from '#lib/adapters/dynamodb/items.ts';
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';

/** One item of a TransactWriteItems request. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How often a request is tried when DynamoDB reports a conflicting transaction in flight. */
const TRANSACTION_CONFLICT_ATTEMPTS = 5;

/**
 * Run `request`, trying again (up to {@link TRANSACTION_CONFLICT_ATTEMPTS} times, with a growing,
 * jittered pause) while it fails with an error `isConflict` accepts: DynamoDB refuses a write to an
 * item another transaction is changing, and a moment later the write usually goes through. The last
 * failure is thrown as it is.
 *
 * @example
 * ```ts
 * await withConflictRetries(() => db.send(update), (err) => err instanceof TransactionConflictException);
 * ```
 */
export async function withConflictRetries<T>(
  request: () => Promise<T>,
  isConflict: (err: unknown) => boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!isConflict(err) || attempt >= TRANSACTION_CONFLICT_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * The item a failed condition saw (with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`). DynamoDB
 * Local returns it in raw AttributeValue form even through lib-dynamodb, so unmarshall when needed.
 *
 * @example
 * ```ts
 * const holder = conditionFailedItem(err)?.owner;
 * ```
 */
export function conditionFailedItem(err: ConditionalCheckFailedException): Item | undefined {
  const item = err.Item as Item | undefined;
  if (item === undefined) return undefined;
  const looksRaw = Object.values(item).every(
    (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 1,
  );
  return looksRaw ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
}

/** Where a query's page starts: after the previous page's last key, or at the beginning. */
export type PageStart = QueryCommandInput['ExclusiveStartKey'];

/** One page of a query. */
export interface QueryPage {
  readonly items: Item[];
  /** The next page's start; undefined after the last page. */
  readonly next: PageStart;
}

/** What the table client needs. */
export interface NodeCacheTableClientOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The node cache table, as the stores read and write it. */
export class NodeCacheTableClient {
  /** The document client, for single-item writes a store conditions itself. */
  readonly db: DynamoDBDocumentClient;
  /** The table's name. */
  readonly name: string;

  constructor(options: NodeCacheTableClientOptions) {
    this.db = options.documentClient;
    this.name = options.tableName;
  }

  /** One item by primary key, read consistently; undefined when there is none. */
  async getItem(key: Record<string, NativeAttributeValue>): Promise<Item | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  /** Every item a query returns, following its pages. */
  async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this.pages(input)) items.push(item);
    return items;
  }

  /** A query's items one by one, reading a page only when the caller gets that far. */
  async *pages(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Item> {
    let start: PageStart;
    do {
      const page = await this.queryPage(input, start);
      yield* page.items;
      start = page.next;
    } while (start !== undefined);
  }

  /** One page of a query from `start`: its items, and where the next page starts (none after the last). */
  async queryPage(input: Omit<QueryCommandInput, 'TableName'>, start: PageStart): Promise<QueryPage> {
    const page = await this.db.send(
      new QueryCommand({ ...input, TableName: this.name, ExclusiveStartKey: start }),
    );
    return { items: page.Items ?? [], next: page.LastEvaluatedKey };
  }

  /**
   * TransactWriteItems: a failed condition becomes NodeStateRaceCondition; a conflict with another
   * transaction is retried ({@link withConflictRetries}) and in the end thrown as DynamoDB gave it.
   */
  async transact(items: TransactItem[]): Promise<void> {
    await withConflictRetries(
      async () => {
        try {
          await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        } catch (err) {
          if (cancellationCodes(err).includes('ConditionalCheckFailed')) throw new NodeStateRaceCondition();
          throw err;
        }
      },
      (err) => cancellationCodes(err).includes('TransactionConflict'),
    );
  }
}

/** Why each item of a cancelled transaction was refused (empty for any other error). */
function cancellationCodes(err: unknown): Array<string | undefined> {
  if (!(err instanceof TransactionCanceledException)) return [];
  return (err.CancellationReasons ?? []).map((reason) => reason.Code);
}

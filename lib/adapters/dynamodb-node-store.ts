/**
 * The node store on DynamoDB: one table, conditional writes for version checks and leases,
 * `TransactWriteItems` for every change that spans items, and no Scan anywhere.
 *
 * Items (partition `pk`, sort `sk`):
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | node record | `NODE#<uuid>` | `RECORD` | uuid, state, version_id, started_at, finished_at, error, manage_boot, list_key, child_count |
 * | lookup attribute | `NODE#<uuid>` | `ATTR#<row id>` | node_uuid, attr_name, attr_value |
 * | option | `NODE#<uuid>` | `OPTION#<name>` | option_name, option_value (JSON) |
 * | lease | `NODE#<uuid>` | `LEASE` | owner, expires_at (ms), ttl (s) |
 *
 * Indexes:
 * - `nodes-by-state` (state, list_key = `<started_at>#<uuid>`), records only: listing merges the
 *   per-state partitions in (started_at, uuid) DESC order; clean-up reads the partitions of the active
 *   states below a `started_at` threshold.
 * - `lookup-attributes` (attr_name, attr_value), lookup attribute rows only: `find_node` queries one
 *   key per supplied value; `active_macs` reads the `mac` partition.
 *
 * `child_count` on the record counts its lookup attributes and options; every write that adds a child
 * moves it in the same transaction, so a replacement or a finish conditioned on it cannot miss a
 * child added concurrently.
 *
 * @example
 * ```ts
 * const store = new DynamoDbNodeStore(documentClient, 'serverless-inspector-node-cache');
 * await createNodeCacheTable(dynamoDbClient, 'serverless-inspector-node-cache');
 * ```
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import { fromStoredTimestamp, toStoredTimestamp } from '#lib/domain/timestamps.ts';
import type { LeaseAttempt, LeaseStore } from '#lib/ports/lease-store.ts';
import {
  type ListPosition,
  type LookupAttributeRow,
  MAX_CHILD_ITEMS_PER_NODE,
  type NodeRecord,
  type NodeRecordChanges,
  type NodeStore,
} from '#lib/ports/node-store.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';

/** Index names, shared with the CDK stack. */
export const NODES_BY_STATE_INDEX = 'nodes-by-state';
export const LOOKUP_ATTRIBUTES_INDEX = 'lookup-attributes';

/** The table's key schema and indexes: what `createNodeCacheTable` and the CDK stack both create. */
export const NODE_CACHE_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  indexes: [
    { name: NODES_BY_STATE_INDEX, partitionKey: 'state', sortKey: 'list_key', projection: 'ALL' },
    {
      name: LOOKUP_ATTRIBUTES_INDEX,
      partitionKey: 'attr_name',
      sortKey: 'attr_value',
      projection: 'INCLUDE',
      nonKeyAttributes: ['node_uuid'],
    },
  ],
} as const;

const RECORD_SK = 'RECORD';
const LEASE_SK = 'LEASE';
const ATTR_PREFIX = 'ATTR#';
const OPTION_PREFIX = 'OPTION#';
/** A lease item outlives its expiry by a day before DynamoDB's TTL may collect it. */
const LEASE_TTL_GRACE_S = 86400;
/** How often a transaction is retried when DynamoDB reports a conflicting transaction in flight. */
const TRANSACTION_CONFLICT_RETRIES = 5;
/** How often a finish/replace re-reads the children after a concurrent child write moved the count. */
const CHILD_COUNT_RETRIES = 3;

const nodeKey = (uuid: string) => `NODE#${uuid}`;

/** The sort key that orders records as upstream lists them: (started_at, uuid). */
export function listKey(position: ListPosition): string {
  return `${position.startedAt === null ? '' : toStoredTimestamp(position.startedAt)}#${position.uuid}`;
}

const storedRecord = z.object({
  uuid: z.string(),
  version_id: z.string(),
  state: z.enum(STATES),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  error: z.string().optional(),
  manage_boot: z.boolean().optional(),
  child_count: z.number().optional(),
});

function toRecord(item: Record<string, unknown>): NodeRecord {
  const r = storedRecord.parse(item);
  return {
    uuid: r.uuid,
    versionId: r.version_id,
    state: r.state,
    startedAt: r.started_at === undefined ? null : fromStoredTimestamp(r.started_at),
    finishedAt: r.finished_at === undefined ? null : fromStoredTimestamp(r.finished_at),
    error: r.error ?? null,
    manageBoot: r.manage_boot ?? true,
  };
}

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB implementation of {@link NodeStore}. */
export class DynamoDbNodeStore implements NodeStore, LeaseStore, PowerSlots {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documentClient: DynamoDBDocumentClient, tableName: string) {
    this.#db = documentClient;
    this.#table = tableName;
  }

  async getNode(uuid: string): Promise<NodeRecord | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: nodeKey(uuid), sk: RECORD_SK },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : toRecord(Item);
  }

  async getLookupAttributes(uuid: string): Promise<LookupAttributeRow[]> {
    const items = await this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': nodeKey(uuid), ':prefix': ATTR_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      rowId: String(item.sk).slice(ATTR_PREFIX.length),
      name: String(item.attr_name),
      value: String(item.attr_value),
    }));
  }

  async getOptions(uuid: string): Promise<Map<string, string>> {
    const items = await this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': nodeKey(uuid), ':prefix': OPTION_PREFIX },
      ConsistentRead: true,
    });
    return new Map(items.map((item) => [String(item.option_name), String(item.option_value)]));
  }

  async replaceNode(
    record: NodeRecord,
    attributes: readonly LookupAttributeRow[],
    expectedVersionId: string | null,
  ): Promise<void> {
    await this.#withFreshChildren(record.uuid, async (children) => {
      const put: TransactItem = {
        Put: {
          TableName: this.#table,
          Item: { ...this.#recordItem(record), child_count: attributes.length },
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
        ...children.map((sk) => this.#deleteChild(record.uuid, sk)),
        ...attributes.map((row) => this.#putAttribute(record.uuid, row)),
      ];
    });
  }

  async updateNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void> {
    const update = this.#recordUpdate(uuid, changes, newVersionId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#db.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: nodeKey(uuid), sk: RECORD_SK },
            UpdateExpression: update.expression,
            // Prevents a lost update: a writer holding a stale read (another NodeInfo changed the
            // record, or the record was dropped and re-created) must not overwrite the newer state.
            ConditionExpression: 'version_id = :expected',
            ExpressionAttributeNames: update.names,
            ExpressionAttributeValues: { ...update.values, ':expected': expectedVersionId },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) {
          // The SDK retries a request whose answer was lost; if the first attempt landed, the record
          // already carries our new version, and that is success, not a race.
          if (currentItem(err)?.version_id === newVersionId) return;
          throw new NodeStateRaceCondition();
        }
        if (err instanceof TransactionConflictException && attempt < TRANSACTION_CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt * (0.5 + Math.random())));
          continue;
        }
        if (err instanceof TransactionConflictException) throw new NodeStateRaceCondition();
        throw err;
      }
    }
  }

  async finishNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void> {
    const update = this.#recordUpdate(uuid, changes, newVersionId, ['child_count = :zero']);
    await this.#withFreshChildren(uuid, async (children) => [
      {
        Update: {
          TableName: this.#table,
          Key: { pk: nodeKey(uuid), sk: RECORD_SK },
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
      ...children.map((sk) => this.#deleteChild(uuid, sk)),
    ]);
  }

  async addLookupAttributes(
    uuid: string,
    expectedVersionId: string,
    rows: readonly LookupAttributeRow[],
  ): Promise<void> {
    await this.#transact([
      this.#countChildren(uuid, expectedVersionId, rows.length),
      ...rows.map((row) => this.#putAttribute(uuid, row)),
    ]);
  }

  async putOption(uuid: string, expectedVersionId: string, name: string, json: string): Promise<void> {
    const key = { pk: nodeKey(uuid), sk: `${OPTION_PREFIX}${name}` };
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    const isNew = Item === undefined;
    await this.#transact([
      this.#countChildren(uuid, expectedVersionId, isNew ? 1 : 0),
      {
        Put: {
          TableName: this.#table,
          Item: { ...key, option_name: name, option_value: json },
          // Prevents the child count drifting: the option must still be absent (or present) as read.
          ConditionExpression: isNew ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
        },
      },
    ]);
  }

  async deleteNode(uuid: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const children = await this.#childKeys(uuid);
      try {
        await this.#transact([
          {
            Delete: {
              TableName: this.#table,
              Key: { pk: nodeKey(uuid), sk: RECORD_SK },
              // Prevents orphans: a lookup attribute or option added after the children were read
              // would outlive the record (and keep matching lookups) if the delete went ahead.
              ConditionExpression:
                'attribute_not_exists(pk) OR attribute_not_exists(child_count) OR child_count = :children',
              ExpressionAttributeValues: { ':children': children.length },
            },
          },
          ...children.map((sk) => this.#deleteChild(uuid, sk)),
        ]);
        return;
      } catch (err) {
        if (!(err instanceof NodeStateRaceCondition) || attempt >= CHILD_COUNT_RETRIES) throw err;
      }
    }
  }

  async findNodesByLookupAttribute(name: string, value: string): Promise<string[]> {
    const items = await this.#queryAll({
      TableName: this.#table,
      IndexName: LOOKUP_ATTRIBUTES_INDEX,
      KeyConditionExpression: 'attr_name = :name AND attr_value = :value',
      ExpressionAttributeValues: { ':name': name, ':value': value },
    });
    return items.map((item) => String(item.node_uuid));
  }

  async listLookupAttributeValues(name: string): Promise<string[]> {
    const items = await this.#queryAll({
      TableName: this.#table,
      IndexName: LOOKUP_ATTRIBUTES_INDEX,
      KeyConditionExpression: 'attr_name = :name',
      ExpressionAttributeValues: { ':name': name },
    });
    return items.map((item) => String(item.attr_value));
  }

  async listNodes(options: {
    states: readonly IntrospectionState[];
    after?: ListPosition;
    limit: number;
  }): Promise<NodeRecord[]> {
    if (options.limit <= 0) return [];
    const pageSize = Math.min(Math.max(options.limit, 1), 500);
    const streams = [...new Set(options.states)].map((state) =>
      this.#pages({
        TableName: this.#table,
        IndexName: NODES_BY_STATE_INDEX,
        KeyConditionExpression:
          options.after === undefined ? '#state = :state' : '#state = :state AND list_key < :after',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': state,
          ...(options.after === undefined ? {} : { ':after': listKey(options.after) }),
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
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head === undefined || head.done) continue;
        const bestHead = heads[best];
        if (
          best < 0 ||
          (bestHead !== undefined && !bestHead.done && head.value.list_key > bestHead.value.list_key)
        ) {
          best = i;
        }
      }
      if (best < 0) break;
      const chosen = heads[best] as IteratorYieldResult<Item & { list_key: string }>;
      result.push(toRecord(chosen.value));
      heads[best] = await (streams[best] as AsyncGenerator<Item & { list_key: string }>).next();
    }
    return result;
  }

  async listNodesStartedBefore(
    states: readonly IntrospectionState[],
    threshold: Date,
  ): Promise<NodeRecord[]> {
    const perState = await Promise.all(
      states.map((state) =>
        this.#queryAll({
          TableName: this.#table,
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

  async anyUnfinished(states: readonly IntrospectionState[]): Promise<boolean> {
    for (const state of states) {
      const pages = this.#pages({
        TableName: this.#table,
        IndexName: NODES_BY_STATE_INDEX,
        KeyConditionExpression: '#state = :state',
        FilterExpression: 'attribute_not_exists(finished_at)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': state },
      });
      for await (const _item of pages) return true;
    }
    return false;
  }

  async listNodeUuids(): Promise<string[]> {
    const perState = await Promise.all(
      STATES.map((state) =>
        this.#queryAll({
          TableName: this.#table,
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

  /*
   * The lease, one conditional write each way (decisions.md item 2). Timeline with the defaults
   * (lease 120 s; no function that takes a lease runs longer than 60 s, so no holder renews it):
   *
   *   t=0     A: put LEASE{owner=A, expires=120}  if absent OR expired OR owner=A   -> A holds it
   *   t=1     B: same put                          -> ConditionalCheckFailed (ALL_OLD: owner A)
   *           B waits (blocking: backoff up to NODE_LOCK_WAIT_SECONDS, then 409) or gives up
   *   t=5     A: delete LEASE if owner=A           -> free; B's next attempt wins
   *   -- or A's Lambda crashes at t=5 and never releases --
   *   t<120   every put fails: the crashed holder still "holds" it (its work may still be landing)
   *   t>=120  expires < now: B's put takes it over; A's late delete (owner=A) fails harmlessly
   *   t+1d    DynamoDB TTL may remove an abandoned lease item
   */
  async tryAcquireLease(
    uuid: string,
    owner: string,
    nowMs: number,
    expiresAtMs: number,
    handedOverBy?: string,
  ): Promise<LeaseAttempt> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: nodeKey(uuid),
            sk: LEASE_SK,
            owner,
            expires_at: expiresAtMs,
            ttl: Math.ceil(expiresAtMs / 1000) + LEASE_TTL_GRACE_S,
          },
          // Prevents two holders at once: the lease is taken only if nobody holds it, the holder's
          // lease ran out (a crashed holder), it is this owner's own (re-acquire after expiry), or it
          // was handed to us. A hand-over changes the owner in this write, so a second delivery of
          // the same job, carrying the same hand-over token, finds another owner and waits.
          ConditionExpression:
            handedOverBy === undefined
              ? 'attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner'
              : 'attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner OR #owner = :handedOverBy',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ':owner': owner,
            ...(handedOverBy === undefined ? {} : { ':handedOverBy': handedOverBy }),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = currentItem(err);
      return {
        acquired: false,
        holder: typeof current?.owner === 'string' ? current.owner : undefined,
        expiresAtMs: typeof current?.expires_at === 'number' ? current.expires_at : undefined,
      };
    }
  }

  async releaseLease(uuid: string, owner: string): Promise<boolean> {
    try {
      await this.#db.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { pk: nodeKey(uuid), sk: LEASE_SK },
          // Prevents releasing someone else's lease: after ours expired and was taken over, our late
          // release must leave the new holder's lease alone.
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /*
   * The power-action throttle: one item, `next_slot` = when the next reservation may start.
   *
   *   idle (next_slot <= now): SET next_slot = now + delay   -> our slot is now
   *   busy (next_slot > now):  ADD next_slot :delay           -> our slot is the old next_slot
   *
   * ADD is atomic, so concurrent reservations each get their own slot, `delay` apart.
   */
  async reservePowerSlot(nowMs: number, delayMs: number): Promise<number> {
    const key = { pk: 'THROTTLE', sk: 'POWER' };
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'SET next_slot = :next',
          // Prevents two idle-time reservations from both taking "now": only one finds it idle.
          ConditionExpression: 'attribute_not_exists(next_slot) OR next_slot <= :now',
          ExpressionAttributeValues: { ':next': nowMs + delayMs, ':now': nowMs },
        }),
      );
      return nowMs;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    const { Attributes } = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: key,
        UpdateExpression: 'ADD next_slot :delay',
        ExpressionAttributeValues: { ':delay': delayMs },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Math.max(nowMs, Number(Attributes?.next_slot ?? nowMs + delayMs) - delayMs);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  #recordItem(record: NodeRecord): Item {
    return {
      pk: nodeKey(record.uuid),
      sk: RECORD_SK,
      uuid: record.uuid,
      state: record.state,
      version_id: record.versionId,
      ...(record.startedAt === null ? {} : { started_at: toStoredTimestamp(record.startedAt) }),
      ...(record.finishedAt === null ? {} : { finished_at: toStoredTimestamp(record.finishedAt) }),
      ...(record.error === null ? {} : { error: record.error }),
      manage_boot: record.manageBoot,
      list_key: listKey(record),
    };
  }

  /** SET/REMOVE clauses for `changes` plus the new version; list_key follows started_at. */
  #recordUpdate(
    uuid: string,
    changes: NodeRecordChanges,
    newVersionId: string,
    extraSet: readonly string[] = [],
  ): { expression: string; names: Record<string, string>; values: Item } {
    const set: string[] = ['version_id = :version', ...extraSet];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Item = { ':version': newVersionId };
    const field = (attr: string, value: string | null | undefined) => {
      if (value === undefined) return;
      names[`#${attr}`] = attr;
      if (value === null) remove.push(`#${attr}`);
      else {
        set.push(`#${attr} = :${attr}`);
        values[`:${attr}`] = value;
      }
    };
    field('state', changes.state);
    field('error', changes.error);
    field('finished_at', changes.finishedAt === undefined ? undefined : stored(changes.finishedAt));
    if (changes.startedAt !== undefined) {
      field('started_at', stored(changes.startedAt));
      field('list_key', listKey({ startedAt: changes.startedAt, uuid }));
    }
    const expression = `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
    return { expression, names, values };
  }

  /** A condition check on the record's version that also moves its child count by `adding`. */
  #countChildren(uuid: string, expectedVersionId: string, adding: number): TransactItem {
    return {
      Update: {
        TableName: this.#table,
        Key: { pk: nodeKey(uuid), sk: RECORD_SK },
        UpdateExpression: 'SET child_count = if_not_exists(child_count, :zero) + :adding',
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
      },
    };
  }

  #putAttribute(uuid: string, row: LookupAttributeRow): TransactItem {
    return {
      Put: {
        TableName: this.#table,
        Item: {
          pk: nodeKey(uuid),
          sk: `${ATTR_PREFIX}${row.rowId}`,
          node_uuid: uuid,
          attr_name: row.name,
          attr_value: row.value,
        },
      },
    };
  }

  #deleteChild(uuid: string, sk: string): TransactItem {
    return { Delete: { TableName: this.#table, Key: { pk: nodeKey(uuid), sk } } };
  }

  /** Sort keys of the node's lookup attributes and options (consistent read). */
  async #childKeys(uuid: string): Promise<string[]> {
    const items = await this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'sk',
      ExpressionAttributeValues: { ':pk': nodeKey(uuid) },
      ConsistentRead: true,
    });
    return items
      .map((item) => String(item.sk))
      .filter((sk) => sk.startsWith(ATTR_PREFIX) || sk.startsWith(OPTION_PREFIX));
  }

  /**
   * Read the children, build a transaction conditioned on their count, and run it. When the condition
   * fails only because a child was added in between (version unchanged), read again and retry; a
   * version change is a race for the caller.
   */
  async #withFreshChildren(
    uuid: string,
    build: (children: string[]) => Promise<TransactItem[]>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const children = await this.#childKeys(uuid);
      const items = await build(children);
      try {
        await this.#transact(items);
        return;
      } catch (err) {
        if (!(err instanceof NodeStateRaceCondition) || attempt >= CHILD_COUNT_RETRIES) throw err;
        const record = await this.#db.send(
          new GetCommand({
            TableName: this.#table,
            Key: { pk: nodeKey(uuid), sk: RECORD_SK },
            ConsistentRead: true,
          }),
        );
        const expected = conditionVersion(items[0]);
        const stillSameVersion =
          expected === undefined ? record.Item === undefined : record.Item?.version_id === expected;
        if (!stillSameVersion) throw err;
      }
    }
  }

  /** TransactWriteItems; a failed condition becomes NodeStateRaceCondition, conflicts are retried. */
  async #transact(items: TransactItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const codes = (err.CancellationReasons ?? []).map((r) => r.Code);
        if (codes.includes('ConditionalCheckFailed')) throw new NodeStateRaceCondition();
        if (codes.includes('TransactionConflict') && attempt < TRANSACTION_CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt * (0.5 + Math.random())));
          continue;
        }
        throw err;
      }
    }
  }

  async #queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this.#pages(input)) items.push(item);
    return items;
  }

  async *#pages(input: QueryCommandInput): AsyncGenerator<Item & { list_key: string }> {
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.#db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) yield item as Item & { list_key: string };
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
}

function stored(date: Date | null): string | null {
  return date === null ? null : toStoredTimestamp(date);
}

/** The `:expected` version a transaction's first item is conditioned on, if any. */
function conditionVersion(item: TransactItem | undefined): string | undefined {
  const values = item?.Put?.ExpressionAttributeValues ?? item?.Update?.ExpressionAttributeValues;
  const expected = values?.[':expected'];
  return typeof expected === 'string' ? expected : undefined;
}

/**
 * The item a failed condition saw. DynamoDB Local returns it in raw AttributeValue form even through
 * lib-dynamodb, so unmarshall when needed.
 */
function currentItem(err: ConditionalCheckFailedException): Item | undefined {
  const item = err.Item as Item | undefined;
  if (item === undefined) return undefined;
  const looksRaw = Object.values(item).every(
    (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 1,
  );
  // biome-ignore lint/suspicious/noExplicitAny: raw AttributeValue map from the wire
  return looksRaw ? unmarshall(item as any) : item;
}

/**
 * Create the node cache table (on-demand, with its indexes) if it does not exist: for DynamoDB Local
 * and tests. In AWS the CDK stack creates it from {@link NODE_CACHE_TABLE_SCHEMA}.
 */
export async function createNodeCacheTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const s = NODE_CACHE_TABLE_SCHEMA;
  const attributeNames = new Set<string>([s.partitionKey, s.sortKey]);
  for (const index of s.indexes) {
    attributeNames.add(index.partitionKey);
    attributeNames.add(index.sortKey);
  }
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributeNames].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: s.partitionKey, KeyType: 'HASH' },
      { AttributeName: s.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: s.indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        index.projection === 'INCLUDE'
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] }
          : { ProjectionType: 'ALL' },
    })),
  };
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}

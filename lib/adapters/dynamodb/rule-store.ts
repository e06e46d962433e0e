/**
 * Introspection rules in the node cache's DynamoDB table (the same single table: pk/sk, no new
 * index, no Scan).
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | rule, in the list | `RULES` | `RULE#<created_at>#<uuid>` | rule_uuid, rule (JSON) |
 * | rule, by UUID | `RULE#<uuid>` | `RULE` | list_sk (the list item's sk), rule (JSON) |
 *
 * Listing (and applying) is one Query of the `RULES` partition: its sort key orders the rules by
 * creation time. Showing one rule is one GetItem of the by-UUID item, which also guards the UUID:
 * creating both items in one transaction conditioned on its absence makes a duplicate UUID a 409.
 * Rules are immutable, so the two copies never disagree; both are written and deleted together.
 * The rule is kept as JSON text so that what was posted comes back exactly (empty keys, nulls).
 *
 * Every transaction carries a client request token, so a retry by the SDK of a write that landed
 * is recognised by DynamoDB instead of failing its own condition.
 *
 * @example
 * ```ts
 * const rules = new DynamoDbRuleStore(documentClient, 'serverless-inspector-node-cache');
 * await rules.create(rule);
 * ```
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { RuleAlreadyExists } from '#lib/domain/errors.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { Rule } from '#lib/rules/rule.ts';

const LIST_PK = 'RULES';
const BY_UUID_SK = 'RULE';
/** TransactWriteItems takes at most 100 items: 50 rules (two items each) per delete-all batch. */
const DELETE_BATCH_RULES = 50;
const CONFLICT_RETRIES = 5;

const byUuidKey = (uuid: string) => ({ pk: `RULE#${uuid}`, sk: BY_UUID_SK });
const listSortKey = (rule: Rule) => `RULE#${rule.createdAt}#${rule.uuid}`;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB implementation of {@link RuleStore}. */
export class DynamoDbRuleStore implements RuleStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(documentClient: DynamoDBDocumentClient, tableName: string) {
    this.#db = documentClient;
    this.#table = tableName;
  }

  async create(rule: Rule): Promise<void> {
    const body = JSON.stringify(rule);
    const listSk = listSortKey(rule);
    try {
      await this.#transact([
        {
          Put: {
            TableName: this.#table,
            Item: { ...byUuidKey(rule.uuid), list_sk: listSk, rule: body },
            // Prevents two rules with one UUID: of two creations racing with the same UUID, only
            // the first lands; the other is the 409 "already exists".
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: this.#table,
            Item: { pk: LIST_PK, sk: listSk, rule_uuid: rule.uuid, rule: body },
            // Prevents overwriting a listed rule: its key embeds the UUID, so this only fails if
            // the guard above failed too (kept so the list item can never be replaced silently).
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
    } catch (err) {
      if (err instanceof ConditionFailed) throw new RuleAlreadyExists(rule.uuid);
      throw err;
    }
  }

  async get(uuid: string): Promise<Rule | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: byUuidKey(uuid), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : (JSON.parse(String(Item.rule)) as Rule);
  }

  async list(): Promise<Rule[]> {
    const items = await this.#listItems();
    return items.map((item) => JSON.parse(String(item.rule)) as Rule);
  }

  async delete(uuid: string): Promise<boolean> {
    const { Item } = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: byUuidKey(uuid),
        ConsistentRead: true,
        ProjectionExpression: 'list_sk',
      }),
    );
    if (Item === undefined) return false;
    try {
      await this.#transact(this.#deleteItems(uuid, String(Item.list_sk)));
      return true;
    } catch (err) {
      // Someone else deleted it between the read and the delete: for this caller it was not there.
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
  }

  async deleteAll(): Promise<void> {
    const items = await this.#listItems(['sk', 'rule_uuid']);
    for (let i = 0; i < items.length; i += DELETE_BATCH_RULES) {
      const batch = items.slice(i, i + DELETE_BATCH_RULES);
      try {
        await this.#transact(
          batch.flatMap((item) => this.#deleteItems(String(item.rule_uuid), String(item.sk))),
        );
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
        // A concurrent delete took some of this batch: delete the rest one by one.
        for (const item of batch) await this.delete(String(item.rule_uuid));
      }
    }
  }

  #deleteItems(uuid: string, listSk: string): TransactItem[] {
    return [
      {
        Delete: {
          TableName: this.#table,
          Key: byUuidKey(uuid),
          // Prevents two deletions of one rule from both reporting success (the second is a 404).
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      { Delete: { TableName: this.#table, Key: { pk: LIST_PK, sk: listSk } } },
    ];
  }

  async #listItems(projection?: string[]): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': LIST_PK },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...(projection === undefined
            ? {}
            : {
                ProjectionExpression: projection.map((_, i) => `#p${i}`).join(', '),
                ExpressionAttributeNames: Object.fromEntries(projection.map((name, i) => [`#p${i}`, name])),
              }),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  /** One transaction, retried when DynamoDB reports a conflicting one in flight. */
  async #transact(items: TransactItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // One token per attempt: the SDK's own retries of this attempt reuse it (idempotent).
        await this.#db.send(
          new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }),
        );
        return;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const codes = (err.CancellationReasons ?? []).map((r) => r.Code);
        if (codes.includes('ConditionalCheckFailed')) throw new ConditionFailed();
        if (codes.includes('TransactionConflict') && attempt < CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt * (0.5 + Math.random())));
          continue;
        }
        throw err;
      }
    }
  }
}

/** A transaction's condition did not hold. */
class ConditionFailed extends Error {}

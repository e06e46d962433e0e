/**
 * The failed-lookup limiter over DynamoDB, in the node cache's single table: one counter item per
 * source and window, never scanned, collected by the table's TTL after its window.
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | failed lookups of one source in one window | `LOOKUP_FAILURES#<source key>` | `WINDOW#<start, s>` | attempts (N), ttl (s) |
 *
 * A window is fixed (its start is a multiple of its length): every api container counts into the
 * same item, so the budget holds across containers, not per container.
 *
 * @example
 * ```ts
 * const limiter = new DynamoDbLookupFailureLimiter(documentClient, table, { failuresPerWindow: 20, windowSeconds: 300 });
 * ```
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  attemptAt,
  type LookupAdmission,
  type LookupAttempt,
  type LookupFailureLimiter,
  type LookupFailureLimits,
} from '#lib/ports/lookup-failure-limiter.ts';

/** A window's item outlives the window by an hour before DynamoDB's TTL may collect it. */
const TTL_GRACE_S = 3600;

const key = (attempt: LookupAttempt) => ({
  pk: `LOOKUP_FAILURES#${attempt.source}`,
  sk: `WINDOW#${attempt.windowStart}`,
});

export class DynamoDbLookupFailureLimiter implements LookupFailureLimiter {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #limits: LookupFailureLimits;
  readonly #now: () => number;

  constructor(
    db: DynamoDBDocumentClient,
    table: string,
    limits: LookupFailureLimits,
    now: () => number = Date.now,
  ) {
    this.#db = db;
    this.#table = table;
    this.#limits = limits;
    this.#now = now;
  }

  async admit(source: string): Promise<LookupAdmission> {
    if (this.#limits.failuresPerWindow <= 0) return { allowed: true, attempt: undefined };
    const { attempt, windowEnd, retryAfterSeconds } = attemptAt(
      source,
      this.#now(),
      this.#limits.windowSeconds,
    );
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key(attempt),
          UpdateExpression: 'ADD #attempts :one SET #ttl = if_not_exists(#ttl, :ttl)',
          // Prevents a burst from overspending the budget: a sweep sends many callbacks at once, and
          // a read-then-increment would let each of them see the count under the limit. The check and
          // the increment are one conditional write, so however many race, at most
          // `failuresPerWindow` of them are admitted per window; the rest fail the condition.
          ConditionExpression: 'attribute_not_exists(#attempts) OR #attempts < :limit',
          ExpressionAttributeNames: { '#attempts': 'attempts', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': this.#limits.failuresPerWindow,
            ':ttl': windowEnd + TTL_GRACE_S,
          },
        }),
      );
      return { allowed: true, attempt };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return { allowed: false, retryAfterSeconds };
    }
  }

  async succeeded(attempt: LookupAttempt | undefined): Promise<void> {
    if (attempt === undefined) return;
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key(attempt),
          UpdateExpression: 'ADD #attempts :minusOne',
          // Prevents giving back what was never taken: the attempt's own window item must still be
          // there with a count above zero. A hand-back racing the TTL's removal of an old window
          // would otherwise create a fresh item counting -1, a free attempt in a later sweep.
          ConditionExpression: 'attribute_exists(#attempts) AND #attempts > :zero',
          ExpressionAttributeNames: { '#attempts': 'attempts' },
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}

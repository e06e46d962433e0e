/**
 * Node leases on DynamoDB: the node's lock is one `LEASE` item beside its record, taken and given back
 * with one conditional write each way, so a crashed holder blocks its node for at most one lease
 * (docs/design.md#leases).
 *
 * @example
 * ```ts
 * const leases = new DynamoDbLeaseStore({ table });
 * const attempt = await leases.tryAcquireLease(uuid, owner, Date.now(), Date.now() + 120_000);
 * ```
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LEASE_SK, nodeKey } from '#lib/adapters/dynamodb/items.ts';
import { conditionFailedItem, type NodeCacheTableClient } from '#lib/adapters/dynamodb/table-client.ts';
import type { LeaseAttempt, LeaseStore } from '#lib/ports/lease-store.ts';

/** A lease item outlives its expiry by a day before DynamoDB's TTL may collect it. */
const LEASE_TTL_GRACE_S = 86400;

/** What the lease store needs: the table. */
export interface DynamoDbLeaseStoreOptions {
  readonly table: NodeCacheTableClient;
}

/*
 * The lease, one conditional write each way. Timeline with the defaults (lease 120 s; no function that
 * takes a lease runs longer than 60 s, so no holder renews it):
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

/** DynamoDB implementation of {@link LeaseStore}. */
export class DynamoDbLeaseStore implements LeaseStore {
  readonly #table: NodeCacheTableClient;

  constructor(options: DynamoDbLeaseStoreOptions) {
    this.#table = options.table;
  }

  async tryAcquireLease(
    uuid: string,
    owner: string,
    nowMs: number,
    expiresAtMs: number,
    handedOverBy?: string,
  ): Promise<LeaseAttempt> {
    try {
      await this.#table.db.send(
        new PutCommand({
          TableName: this.#table.name,
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
      const current = conditionFailedItem(err);
      return {
        acquired: false,
        holder: typeof current?.owner === 'string' ? current.owner : undefined,
        expiresAtMs: typeof current?.expires_at === 'number' ? current.expires_at : undefined,
      };
    }
  }

  async releaseLease(uuid: string, owner: string): Promise<boolean> {
    try {
      await this.#table.db.send(
        new DeleteCommand({
          TableName: this.#table.name,
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
}

/**
 * The power-action throttle on DynamoDB: upstream's `introspection_delay` between power actions,
 * shared by every worker through one item (docs/design.md#power-slots).
 *
 * @example
 * ```ts
 * const slots = new DynamoDbPowerSlots({ table });
 * const startMs = await slots.reservePowerSlot(Date.now(), 5000);
 * ```
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NodeCacheTableClient } from '#lib/adapters/dynamodb/table-client.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';

/** The throttle's item. */
const POWER_SLOTS_KEY = { pk: 'THROTTLE', sk: 'POWER' } as const;

/** What the power slots need: the table. */
export interface DynamoDbPowerSlotsOptions {
  readonly table: NodeCacheTableClient;
}

/*
 * One item, `next_slot` = when the next reservation may start.
 *
 *   idle (next_slot <= now): SET next_slot = now + delay   -> our slot is now
 *   busy (next_slot > now):  ADD next_slot :delay           -> our slot is the old next_slot
 *
 * ADD is atomic, so concurrent reservations each get their own slot, `delay` apart.
 */

/** DynamoDB implementation of {@link PowerSlots}. */
export class DynamoDbPowerSlots implements PowerSlots {
  readonly #table: NodeCacheTableClient;

  constructor(options: DynamoDbPowerSlotsOptions) {
    this.#table = options.table;
  }

  async reservePowerSlot(nowMs: number, delayMs: number): Promise<number> {
    try {
      await this.#table.db.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: POWER_SLOTS_KEY,
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
    const { Attributes } = await this.#table.db.send(
      new UpdateCommand({
        TableName: this.#table.name,
        Key: POWER_SLOTS_KEY,
        UpdateExpression: 'ADD next_slot :delay',
        ExpressionAttributeValues: { ':delay': delayMs },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Math.max(nowMs, Number(Attributes?.next_slot ?? nowMs + delayMs) - delayMs);
  }
}

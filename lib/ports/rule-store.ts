/**
 * The rule store port: introspection rules, kept in creation order. Implemented over DynamoDB
 * (`lib/adapters/dynamodb/rule-store.ts`) and in memory (`lib/adapters/memory/rule-store.ts`);
 * `test/contract/rule-store.test.ts` runs one contract against both.
 *
 * @example
 * ```ts
 * await rules.create(rule);           // RuleAlreadyExists (409) when the UUID is taken
 * for (const rule of await rules.list()) …  // creation order
 * ```
 */
import type { Rule } from '#lib/rules/rule.ts';

/** Introspection rules. Rules are immutable: created, read, deleted. */
export interface RuleStore {
  /**
   * Store a new rule, atomically (all of it or nothing).
   *
   * @throws RuleAlreadyExists when a rule with this exact UUID string exists
   */
  create(rule: Rule): Promise<void>;

  /** The rule with exactly this UUID string (consistent read), or undefined. */
  get(uuid: string): Promise<Rule | undefined>;

  /** Every rule, oldest `createdAt` first (ties in a fixed order). Reads consistently. */
  list(): Promise<Rule[]>;

  /** Delete one rule; false when there was none. */
  delete(uuid: string): Promise<boolean>;

  /** Delete every rule there is. */
  deleteAll(): Promise<void>;
}

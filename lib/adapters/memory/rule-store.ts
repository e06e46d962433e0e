/**
 * Introspection rules in memory: unit tests of the rules API and engine, and one side of the rule
 * store contract test.
 *
 * @example
 * ```ts
 * const rules = new MemoryRuleStore();
 * await rules.create(rule);
 * ```
 */
import { RuleAlreadyExists } from '#lib/domain/errors.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { Rule } from '#lib/rules/rule.ts';

/** {@link RuleStore} in a Map; copies go in and out, as a database would. */
export class MemoryRuleStore implements RuleStore {
  readonly #rules = new Map<string, Rule>();

  async create(rule: Rule): Promise<void> {
    if (this.#rules.has(rule.uuid)) throw new RuleAlreadyExists(rule.uuid);
    this.#rules.set(rule.uuid, structuredClone(rule));
  }

  async get(uuid: string): Promise<Rule | undefined> {
    const rule = this.#rules.get(uuid);
    return rule === undefined ? undefined : structuredClone(rule);
  }

  async list(): Promise<Rule[]> {
    return [...this.#rules.values()]
      .sort((a, b) =>
        a.createdAt === b.createdAt ? compare(a.uuid, b.uuid) : compare(a.createdAt, b.createdAt),
      )
      .map((rule) => structuredClone(rule));
  }

  async delete(uuid: string): Promise<boolean> {
    return this.#rules.delete(uuid);
  }

  async deleteAll(): Promise<void> {
    this.#rules.clear();
  }
}

/** Plain code-unit order, as DynamoDB sorts string keys (UTF-8 bytes agree for these ASCII keys). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

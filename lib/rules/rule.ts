/**
 * An introspection rule as stored and as the v1 API shows it: optional description and scope, its
 * conditions and actions in the order given, and the time it was created (rules are listed and
 * applied in creation order). Rules are immutable.
 *
 * @example
 * ```ts
 * ruleBody(rule, '/baremetal-introspection');
 * // {actions: [...], conditions: [...], description: null, links: [{href: '/baremetal-introspection/v1/rules/<uuid>', rel: 'self'}], scope: null, uuid: '…'}
 * ```
 */

/** Condition operators, in the order upstream's messages list them. */
export const CONDITION_OPS = [
  'contains',
  'eq',
  'ge',
  'gt',
  'in-net',
  'is-empty',
  'le',
  'lt',
  'matches',
  'ne',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** Action types, in the order upstream's messages list them. */
export const ACTION_NAMES = [
  'add-trait',
  'example',
  'extend-attribute',
  'fail',
  'remove-trait',
  'set-attribute',
  'set-capability',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

export const MULTIPLE_VALUES = ['all', 'any', 'first'] as const;
export type Multiple = (typeof MULTIPLE_VALUES)[number];

/** One condition: operator, field, how to treat several values, inversion, and its parameters. */
export interface RuleCondition {
  readonly op: ConditionOp;
  readonly field: string;
  readonly multiple: Multiple;
  readonly invert: boolean;
  /** Every other key of the condition as given (`value`, …), nulls included. */
  readonly params: Readonly<Record<string, unknown>>;
}

/** One action and its parameters (every other key as given, nulls included). */
export interface RuleAction {
  readonly action: ActionName;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A stored rule. */
export interface Rule {
  /** Exactly as given (not lower-cased or re-hyphenated), or generated. */
  readonly uuid: string;
  readonly description: string | null;
  readonly scope: string | null;
  /** Stored timestamp form (`YYYY-MM-DDTHH:MM:SS.ffffff`, UTC); orders the rules. */
  readonly createdAt: string;
  readonly conditions: readonly RuleCondition[];
  readonly actions: readonly RuleAction[];
}

/** JSON with every object's keys sorted, as upstream's Flask answers. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A UUID in a URL path, quoted as werkzeug's `url_for` quotes it. */
function quotePath(value: string): string {
  return encodeURIComponent(value).replace(/%(21|24|26|27|28|29|2A|2B|2C|3B|3D|3A|40)/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** The self link: path only, below the mount prefix (`''` when the API is at the root). */
export function ruleLinks(uuid: string, pathPrefix: string): Array<{ href: string; rel: 'self' }> {
  return [{ href: `${pathPrefix}/v1/rules/${quotePath(uuid)}`.replace(/\/+$/, ''), rel: 'self' }];
}

/** A condition as the API shows it: its parameters with `op`, `field`, `multiple` and `invert`. */
export function conditionBody(condition: RuleCondition): Record<string, unknown> {
  return {
    ...condition.params,
    op: condition.op,
    field: condition.field,
    multiple: condition.multiple,
    invert: condition.invert,
  };
}

/** An action as the API shows it: its parameters with `action`. */
export function actionBody(action: RuleAction): Record<string, unknown> {
  return { ...action.params, action: action.action };
}

/** The full rule (`POST` answer, `GET /v1/rules/<uuid>`). */
export function ruleBody(rule: Rule, pathPrefix: string): Record<string, unknown> {
  return sortedKeys({
    uuid: rule.uuid,
    description: rule.description,
    scope: rule.scope,
    conditions: rule.conditions.map(conditionBody),
    actions: rule.actions.map(actionBody),
    links: ruleLinks(rule.uuid, pathPrefix),
  }) as Record<string, unknown>;
}

/** A list entry (`GET /v1/rules`): uuid, description, scope and links. */
export function shortRuleBody(rule: Rule, pathPrefix: string): Record<string, unknown> {
  return sortedKeys({
    uuid: rule.uuid,
    description: rule.description,
    scope: rule.scope,
    links: ruleLinks(rule.uuid, pathPrefix),
  }) as Record<string, unknown>;
}

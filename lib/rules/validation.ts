/**
 * Checking a rule body at `POST /v1/rules`, in upstream's order (the first failure wins):
 *
 * 1. `uuid`, when truthy, is UUID-like; 2. `scope`, when truthy, is at most 255 characters;
 * 3. `conditions` against the schema; 4–6. for each condition: the field's scheme, its JSON path,
 * the operator's parameters; 7. `actions` against the schema; 8. each action's parameters.
 * Then (where upstream's database would fail with a 500): `description` and `scope` are strings
 * and the rule fits one storage item.
 *
 * @example
 * ```ts
 * const rule = validateRule(body, { now: new Date(), newUuid: randomUUID });
 * ```
 */
import { InvalidIntrospectionData, InvalidRule, RuleTooLarge } from '#lib/domain/errors.ts';
import { toStoredTimestamp } from '#lib/domain/timestamps.ts';
import { actionPlugin } from '#lib/rules/actions.ts';
import { conditionPlugin, ParameterError } from '#lib/rules/conditions.ts';
import { JsonPathSyntaxError, parseJsonPath } from '#lib/rules/jsonpath.ts';
import { pyTruthy } from '#lib/rules/python.ts';
import type { ActionName, ConditionOp, Multiple, Rule, RuleAction, RuleCondition } from '#lib/rules/rule.ts';
import { actionsSchemaError, conditionsSchemaError } from '#lib/rules/schema.ts';

/**
 * The largest rule stored: one DynamoDB item holds at most 400 KB with its keys and attribute
 * names; this leaves room for them.
 */
export const MAX_RULE_BYTES = 380_000;

/** The longest UUID string kept (oslo accepts any number of hyphens, braces and `urn:uuid:`). */
const MAX_UUID_LENGTH = 255;

/**
 * oslo's `is_uuid_like`: after dropping `urn:` and `uuid:`, surrounding braces and every hyphen,
 * exactly 32 hex digits (any case).
 */
export function isUuidLikeOslo(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const hex = value
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '');
  return /^[0-9a-fA-F]{32}$/.test(hex);
}

/** Where a field's path is evaluated, and the path itself (`data` when no `://`). */
export function splitField(field: string): { scheme: string; path: string } {
  const index = field.indexOf('://');
  if (index < 0) return { scheme: 'data', path: field };
  return { scheme: field.slice(0, index), path: field.slice(index + 3) };
}

const RESERVED_CONDITION_KEYS = new Set(['op', 'field', 'multiple', 'invert']);

function conditions(raw: unknown): RuleCondition[] {
  const problem = conditionsSchemaError(raw);
  if (problem !== undefined) throw InvalidRule.conditions(problem);
  const result: RuleCondition[] = [];
  for (const item of raw as Array<Record<string, unknown>>) {
    const field = item.field as string;
    const op = item.op as ConditionOp;
    const { scheme, path } = splitField(field);
    if (scheme !== 'node' && scheme !== 'data') throw InvalidRule.scheme(scheme);
    try {
      parseJsonPath(path);
    } catch (err) {
      if (err instanceof JsonPathSyntaxError) throw InvalidRule.fieldPath(field, err.message);
      throw err;
    }
    const params = Object.fromEntries(Object.entries(item).filter(([k]) => !RESERVED_CONDITION_KEYS.has(k)));
    try {
      conditionPlugin(op).validate(params);
    } catch (err) {
      if (err instanceof ParameterError) throw InvalidRule.operator(op, err.message);
      throw err;
    }
    result.push({
      op,
      field,
      multiple: (item.multiple as Multiple | undefined) ?? 'any',
      invert: (item.invert as boolean | undefined) ?? false,
      params,
    });
  }
  return result;
}

function actions(raw: unknown): RuleAction[] {
  const problem = actionsSchemaError(raw);
  if (problem !== undefined) throw InvalidRule.actions(problem);
  return (raw as Array<Record<string, unknown>>).map((item) => {
    const action = item.action as ActionName;
    const params = Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'action'));
    try {
      actionPlugin(action).validate(params);
    } catch (err) {
      if (err instanceof ParameterError) throw InvalidRule.action(action, err.message);
      throw err;
    }
    return { action, params };
  });
}

/**
 * Check a `POST /v1/rules` body and build the rule to store.
 *
 * @throws InvalidIntrospectionData (400) for a body that is not a JSON object
 * @throws InvalidRule (400) with upstream's message for the first failed check
 * @throws RuleTooLarge (413)
 */
export function validateRule(input: unknown, options: { now: Date; newUuid: () => string }): Rule {
  const body = input === undefined ? null : input;
  InvalidIntrospectionData.assertObject(body);
  const uuid = body.uuid;
  if (pyTruthy(uuid) && (!isUuidLikeOslo(uuid) || (uuid as string).length > MAX_UUID_LENGTH)) {
    throw InvalidRule.uuid();
  }
  const scope = body.scope;
  if (scope !== null && scope !== undefined && typeof scope !== 'string') throw InvalidRule.scopeType();
  if (typeof scope === 'string' && [...scope].length > 255) throw InvalidRule.scopeTooLong();
  const parsedConditions = conditions(body.conditions === undefined ? [] : body.conditions);
  const parsedActions = actions(body.actions === undefined ? [] : body.actions);
  const description = body.description;
  if (description !== null && description !== undefined && typeof description !== 'string') {
    throw InvalidRule.descriptionType();
  }
  const rule: Rule = {
    uuid: pyTruthy(uuid) ? (uuid as string) : options.newUuid(),
    description: (description as string | null | undefined) ?? null,
    scope: (scope as string | null | undefined) ?? null,
    createdAt: toStoredTimestamp(options.now),
    conditions: parsedConditions,
    actions: parsedActions,
  };
  const bytes = Buffer.byteLength(JSON.stringify(rule));
  if (bytes > MAX_RULE_BYTES) throw new RuleTooLarge(bytes, MAX_RULE_BYTES);
  return rule;
}

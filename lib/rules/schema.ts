/**
 * Upstream's JSON schemas for rule conditions and actions, checked the way Python's jsonschema
 * reports them: of all the errors, the one its "best match" heuristic picks (the shallowest; at
 * equal depth a type mismatch before a missing property; then document order), as its first line
 * (`'op' is a required property`, `[] is too short`, `'foo' is not one of ['contains', …]`). The
 * multi-line tail jsonschema appends (the sub-schema and the instance) is left out.
 *
 * @example
 * ```ts
 * conditionsSchemaError([{ field: 'memory_mb' }]); // "'op' is a required property"
 * actionsSchemaError([]);                          // '[] is too short'
 * ```
 */
import { pyRepr } from '#lib/rules/python.ts';
import { ACTION_NAMES, CONDITION_OPS, MULTIPLE_VALUES } from '#lib/rules/rule.ts';

interface SchemaError {
  readonly depth: number;
  /** jsonschema's `not error._matches_type()`: the instance is not of the schema's own type. */
  readonly typeMismatch: boolean;
  readonly message: string;
}

type PropertyCheck = { readonly enum: readonly string[] } | { readonly type: 'string' | 'boolean' };

const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function check(
  instance: unknown,
  minItems: number,
  required: readonly string[],
  properties: ReadonlyArray<readonly [string, PropertyCheck]>,
): string | undefined {
  const errors: SchemaError[] = [];
  if (!Array.isArray(instance)) {
    errors.push({ depth: 0, typeMismatch: true, message: `${pyRepr(instance)} is not of type 'array'` });
  } else {
    if (instance.length < minItems) {
      errors.push({ depth: 0, typeMismatch: false, message: `${pyRepr(instance)} is too short` });
    }
    for (const item of instance) {
      if (!isDict(item)) {
        errors.push({ depth: 1, typeMismatch: true, message: `${pyRepr(item)} is not of type 'object'` });
        continue;
      }
      for (const name of required) {
        if (!Object.hasOwn(item, name)) {
          errors.push({ depth: 1, typeMismatch: false, message: `${pyRepr(name)} is a required property` });
        }
      }
      for (const [name, rule] of properties) {
        if (!Object.hasOwn(item, name)) continue;
        const value = item[name];
        if ('enum' in rule) {
          if (typeof value !== 'string' || !rule.enum.includes(value)) {
            errors.push({
              depth: 2,
              typeMismatch: true,
              message: `${pyRepr(value)} is not one of ${pyRepr([...rule.enum])}`,
            });
          }
        } else if (typeof value !== rule.type) {
          errors.push({
            depth: 2,
            typeMismatch: true,
            message: `${pyRepr(value)} is not of type '${rule.type}'`,
          });
        }
      }
    }
  }
  // best_match: max by (-depth, type mismatch); the first of equals wins.
  let best: SchemaError | undefined;
  for (const error of errors) {
    if (
      best === undefined ||
      -error.depth > -best.depth ||
      (error.depth === best.depth && error.typeMismatch && !best.typeMismatch)
    ) {
      best = error;
    }
  }
  return best?.message;
}

/** The first line of jsonschema's error for a conditions list, or undefined when it is valid. */
export function conditionsSchemaError(conditions: unknown): string | undefined {
  return check(
    conditions,
    0,
    ['op', 'field'],
    [
      ['op', { enum: CONDITION_OPS }],
      ['field', { type: 'string' }],
      ['multiple', { enum: MULTIPLE_VALUES }],
      ['invert', { type: 'boolean' }],
    ],
  );
}

/** The first line of jsonschema's error for an actions list, or undefined when it is valid. */
export function actionsSchemaError(actions: unknown): string | undefined {
  return check(actions, 1, ['action'], [['action', { enum: ACTION_NAMES }]]);
}

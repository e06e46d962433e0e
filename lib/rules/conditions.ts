/**
 * The condition operators: each checks its parameters when a rule is created and tests one field
 * value at evaluation.
 *
 * | op | parameters | true when (field = one value found by the path) |
 * |---|---|---|
 * | `eq` `ne` `lt` `le` `gt` `ge` | `value` | field (converted toward `value`'s type: `int()` for an integer or boolean `value`, `float()` for a fractional one) compares so |
 * | `is-empty` | — | field is `""`, `null`, `[]` or `{}`, or the path found nothing |
 * | `in-net` | `value` (a network) | field is an address inside the network |
 * | `matches` | `value` (a regex) | the regex, anchored at both ends, matches `str(field)` |
 * | `contains` | `value` (a regex) | the regex matches somewhere in `str(field)` |
 *
 * @example
 * ```ts
 * conditionPlugin('ge').validate({ value: 4096 });
 * conditionPlugin('ge').check('8192', { value: 4096 }); // true: '8192' becomes int 8192
 * ```
 */
import {
  type IpNetwork,
  networkContains,
  parseLenientAddress,
  parseLenientNetwork,
} from '#lib/domain/ip-address.ts';
import { PythonError, pyCompare, pyFloat, pyInt, pyStr } from '#lib/rules/python.ts';
import { compilePythonRegex, pythonMatch, pythonSearch, RegexSyntaxError } from '#lib/rules/regex.ts';
import type { ConditionOp } from '#lib/rules/rule.ts';

/** A parameter check failed; the message is the `<detail>` of "Invalid parameters for …: <detail>". */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

type Params = Readonly<Record<string, unknown>>;

/**
 * Upstream's generic parameter check: null counts as not passed; missing required and unexpected
 * names are reported together (sorted here; upstream prints them in set order).
 */
export function checkParams(
  params: Params,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  const passed = Object.keys(params).filter((k) => params[k] !== null && params[k] !== undefined);
  const missing = required.filter((k) => !passed.includes(k)).sort();
  const unexpected = passed.filter((k) => !required.includes(k) && !optional.includes(k)).sort();
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing required parameter(s): ${missing.join(', ')}`);
  if (unexpected.length > 0) problems.push(`unexpected parameter(s): ${unexpected.join(', ')}`);
  if (problems.length > 0) throw new ParameterError(problems.join('; '));
}

/** One operator. */
export interface ConditionPlugin {
  /** Whether a path that found nothing still counts (as one `null` value). */
  readonly allowNone: boolean;
  /** @throws ParameterError with the detail of the message */
  validate(params: Params): void;
  /** @throws PythonError where Python would raise (a conversion, an ordering, an address) */
  check(field: unknown, params: Params): boolean;
}

/** Python's `coerce(field, value)`: float for a fractional value, int for an integer or a boolean. */
function coerce(field: unknown, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isInteger(value)) return pyFloat(field);
  if (typeof value === 'boolean' || typeof value === 'number') return pyInt(field);
  return field;
}

function simple(op: '==' | '!=' | '<' | '<=' | '>' | '>='): ConditionPlugin {
  return {
    allowNone: false,
    validate: (params) => checkParams(params, ['value']),
    check: (field, params) => pyCompare(op, coerce(field, params.value), params.value),
  };
}

const networks = new Map<string, IpNetwork>();

function network(value: unknown): IpNetwork {
  if (typeof value !== 'string') throw new ParameterError('invalid value: the network must be a string');
  let parsed = networks.get(value);
  if (parsed === undefined) {
    try {
      parsed = parseLenientNetwork(value);
    } catch (err) {
      throw new ParameterError(`invalid value: ${(err as Error).message}`);
    }
    if (networks.size > 500) networks.clear();
    networks.set(value, parsed);
  }
  return parsed;
}

function regex(value: unknown) {
  if (typeof value !== 'string') {
    throw new ParameterError('invalid regular expression: the value must be a string');
  }
  try {
    return compilePythonRegex(value);
  } catch (err) {
    if (err instanceof RegexSyntaxError)
      throw new ParameterError(`invalid regular expression: ${err.message}`);
    throw err;
  }
}

/** `matches` and `contains` only compile the regex (extra parameters pass, as upstream). */
function validateRegex(params: Params): void {
  if (params.value === null || params.value === undefined) {
    throw new ParameterError('missing required parameter(s): value');
  }
  if (params.value === '') throw new ParameterError('invalid regular expression: the value is empty');
  regex(params.value);
}

const PLUGINS: Record<ConditionOp, ConditionPlugin> = {
  eq: simple('=='),
  ne: simple('!='),
  lt: simple('<'),
  le: simple('<='),
  gt: simple('>'),
  ge: simple('>='),
  'is-empty': {
    allowNone: true,
    validate: (params) => checkParams(params, []),
    check: (field) =>
      field === '' ||
      field === null ||
      field === undefined ||
      (Array.isArray(field) && field.length === 0) ||
      (typeof field === 'object' &&
        field !== null &&
        !Array.isArray(field) &&
        Object.keys(field).length === 0),
  },
  'in-net': {
    allowNone: false,
    validate(params) {
      checkParams(params, ['value']);
      network(params.value);
    },
    check(field, params) {
      let address: ReturnType<typeof parseLenientAddress>;
      try {
        address = parseLenientAddress(field);
      } catch (err) {
        throw new PythonError('ValueError', (err as Error).message);
      }
      return networkContains(network(params.value), address);
    },
  },
  matches: {
    allowNone: false,
    validate: validateRegex,
    check(field, params) {
      const pattern = String(params.value);
      return pythonMatch(regex(pattern.endsWith('$') ? pattern : `${pattern}$`), pyStr(field));
    },
  },
  contains: {
    allowNone: false,
    validate: validateRegex,
    check: (field, params) => pythonSearch(regex(params.value), pyStr(field)),
  },
};

/** The plugin of an operator. */
export function conditionPlugin(op: ConditionOp): ConditionPlugin {
  return PLUGINS[op];
}

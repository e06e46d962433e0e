/**
 * The rule actions: each checks its parameters when a rule is created and acts on the node through
 * NodeInfo (which keeps the Ironic node it patched, so later actions see earlier changes).
 *
 * | action | parameters (required / optional) | effect |
 * |---|---|---|
 * | `fail` | `message` | the introspection ends in `error` with the message |
 * | `set-attribute` | `path`, `value` (present, may be null) / `reset_interfaces` | `add <path> = value` (a `driver` change resets the interfaces unless `reset_interfaces` is false) |
 * | `set-capability` | `name` / `value` | sets (or, without a value, removes) one capability in `properties.capabilities` |
 * | `extend-attribute` | `path`, `value` / `unique` | appends `value` to the list at `path` (created when missing), once only when `unique` |
 * | `add-trait`, `remove-trait` | `name` | adds / removes a trait |
 * | `example` | — | logs only |
 *
 * `value` of `set-attribute`, `set-capability` and `extend-attribute` is formatted with the
 * introspection data (`{data[memory_mb]}`), in strings nested in objects and lists too.
 *
 * @example
 * ```ts
 * actionPlugin('add-trait').validate({ name: 'CUSTOM_GPU' });
 * await actionPlugin('add-trait').apply(nodeInfo, { name: 'CUSTOM_GPU' }, context);
 * ```
 */
import { isDeepStrictEqual } from 'node:util';
import { RuleEvaluationError, RuleFailAction, RuleFormattingError } from '#lib/domain/errors.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { Logger } from '#lib/ports/logger.ts';
import { checkParams, ParameterError } from '#lib/rules/conditions.ts';
import { FormatSyntaxError, parseFormat, renderFormat, templateProblem } from '#lib/rules/format.ts';
import { PythonError, pyEquals, pyStr, pyTruthy } from '#lib/rules/python.ts';
import type { ActionName } from '#lib/rules/rule.ts';

type Params = Readonly<Record<string, unknown>>;

/** `add-trait` and `remove-trait` take one parameter, `name`: a string, not empty. */
function validateTraitName(params: Params): void {
  checkParams(params, ['name']);
  requireString(params, 'name');
  if (params.name === '') throw new ParameterError('name must not be empty');
}

/** What an action runs with besides the node. */
export interface ActionContext {
  readonly logger: Logger;
  /** The rule's description or UUID, for messages. */
  readonly rule: string;
}

/** One action type. */
export interface ActionPlugin {
  /** Parameters formatted with the introspection data before {@link apply}. */
  readonly formatted: readonly string[];
  /** @throws ParameterError with the detail of the message */
  validate(params: Params): void;
  apply(nodeInfo: NodeInfo, params: Params, context: ActionContext): Promise<void>;
}

function requireString(params: Params, name: string): void {
  if (typeof params[name] !== 'string') throw new ParameterError(`${name} must be a string`);
}

/** Every string in a formatted value must be a format string that can work with only `data`. */
function checkFormattable(value: unknown): void {
  if (typeof value === 'string') {
    let problem: string | undefined;
    try {
      problem = templateProblem(parseFormat(value));
    } catch (err) {
      if (!(err instanceof FormatSyntaxError)) throw err;
      problem = err.message;
    }
    if (problem !== undefined) {
      throw new ParameterError(
        `invalid formatting of value ${value}: ${problem} (write {{ and }} for braces)`,
      );
    }
  } else if (Array.isArray(value)) {
    for (const item of value) checkFormattable(item);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      checkFormattable(k);
      checkFormattable(v);
    }
  }
}

/**
 * Upstream's `_format_value`: strings formatted with the data, objects (keys and values) and lists
 * recursively, anything else as is.
 *
 * @throws RuleFormattingError when a placeholder does not resolve in this data
 */
export function formatActionValue(value: unknown, data: unknown): unknown {
  if (typeof value === 'string') {
    try {
      return renderFormat(parseFormat(value), data);
    } catch (err) {
      if (err instanceof PythonError && err.pyType === 'KeyError') {
        throw RuleFormattingError.missingKey(value, err.message);
      }
      if (err instanceof PythonError || err instanceof FormatSyntaxError) {
        throw RuleFormattingError.invalid(value, err.message);
      }
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((item) => formatActionValue(item, data));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        formatActionValue(k, data) as string,
        formatActionValue(v, data),
      ]),
    );
  }
  return value;
}

/** The value at an Ironic-style path (`/extra/a/b`) of the node, or undefined when missing. */
function valueAtPath(node: Record<string, unknown>, path: string): { found: boolean; value: unknown } {
  const segments = path.replace(/^\/+|\/+$/g, '').split('/');
  let current: unknown = node;
  for (const segment of segments) {
    if (
      typeof current !== 'object' ||
      current === null ||
      Array.isArray(current) ||
      !Object.hasOwn(current, segment)
    ) {
      return { found: false, value: undefined };
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return { found: true, value: current };
}

const PLUGINS: Record<ActionName, ActionPlugin> = {
  fail: {
    formatted: [],
    validate: (params) => checkParams(params, ['message']),
    async apply(_nodeInfo, params) {
      throw new RuleFailAction(pyStr(params.message));
    },
  },
  'set-attribute': {
    formatted: ['value'],
    validate(params) {
      if (!Object.hasOwn(params, 'value')) throw new ParameterError('missing required parameter(s): value');
      checkParams(params, ['path'], ['value', 'reset_interfaces']);
      requireString(params, 'path');
      checkFormattable(params.value);
    },
    async apply(nodeInfo, params) {
      const path = params.path as string;
      const resetInterfaces =
        path.replace(/^\/+|\/+$/g, '') === 'driver' &&
        (!Object.hasOwn(params, 'reset_interfaces') || pyTruthy(params.reset_interfaces));
      await nodeInfo.ironic.patch(
        [{ op: 'add', path, value: params.value }],
        resetInterfaces ? { resetInterfaces: true } : {},
      );
    },
  },
  'set-capability': {
    formatted: ['value'],
    validate(params) {
      checkParams(params, ['name'], ['value']);
      requireString(params, 'name');
      checkFormattable(params.value);
    },
    async apply(nodeInfo, params) {
      const value = params.value;
      await nodeInfo.ironic.updateCapabilities({
        [params.name as string]: value === null || value === undefined ? null : pyStr(value),
      });
    },
  },
  'extend-attribute': {
    formatted: ['value'],
    validate(params) {
      checkParams(params, ['path', 'value'], ['unique']);
      requireString(params, 'path');
      checkFormattable(params.value);
    },
    async apply(nodeInfo, params, context) {
      const path = params.path as string;
      const current = valueAtPath((await nodeInfo.ironic.node()) as Record<string, unknown>, path);
      if (current.found && !Array.isArray(current.value)) {
        throw new RuleEvaluationError(
          context.rule,
          `extend-attribute: the value at ${path} is not a list but ${pyStr(current.value)}`,
        );
      }
      const before = current.found ? (current.value as unknown[]) : [];
      const after = [...before];
      if (!pyTruthy(params.unique) || !after.some((item) => pyEquals(item, params.value)))
        after.push(params.value);
      if (current.found && isDeepStrictEqual(before, after)) return;
      await nodeInfo.ironic.patch([{ op: current.found ? 'replace' : 'add', path, value: after }]);
    },
  },
  'add-trait': {
    formatted: [],
    validate: validateTraitName,
    async apply(nodeInfo, params) {
      await nodeInfo.ironic.addTrait(params.name as string);
    },
  },
  'remove-trait': {
    formatted: [],
    validate: validateTraitName,
    async apply(nodeInfo, params) {
      await nodeInfo.ironic.removeTrait(params.name as string);
    },
  },
  example: {
    formatted: [],
    validate: (params) => checkParams(params, []),
    async apply(nodeInfo, params, context) {
      context.logger.info(`Example action called with parameters ${JSON.stringify(params)}`, {
        node: nodeInfo.uuid,
        rule: context.rule,
      });
    },
  },
};

/** The plugin of an action type. */
export function actionPlugin(action: ActionName): ActionPlugin {
  return PLUGINS[action];
}

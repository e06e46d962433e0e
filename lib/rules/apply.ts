/**
 * Applying the introspection rules to a node, at the end of processing (the ramdisk callback and
 * reapply alike), as upstream's `rules.apply`:
 *
 * 1. every rule, in creation order, whose scope matches the node (no scope: every node; else equal
 *    to the node's `properties.inspection_scope`) has its conditions checked, all rules before any
 *    action runs, so actions never change another rule's conditions in the same run;
 * 2. the actions of every matching rule run, rule by rule, action by action.
 *
 * `data://` fields read the processed introspection data, `node://` fields the Ironic node read
 * again after the processing hooks. A failure (a `fail` action, a value that cannot be compared or
 * formatted, Ironic refusing a change) stops the run: what ran stays applied, nothing is rolled back.
 *
 * @example
 * ```ts
 * await applyIntrospectionRules({ rules, logger }, nodeInfo, processedData);
 * ```
 */
import { RuleEvaluationError } from '#lib/domain/errors.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import { actionPlugin, formatActionValue } from '#lib/rules/actions.ts';
import { conditionPlugin, ParameterError } from '#lib/rules/conditions.ts';
import { findValues, JsonPathError, parseJsonPath } from '#lib/rules/jsonpath.ts';
import { sdkNodeDict } from '#lib/rules/node-dict.ts';
import { PythonError, pyRepr } from '#lib/rules/python.ts';
import type { Rule } from '#lib/rules/rule.ts';
import { splitField } from '#lib/rules/validation.ts';

/** What applying rules needs. */
export interface RulesDeps {
  /** The rule store (or its list, read ahead: `prefetchRules` in `lib/rules/lazy.ts`); without one there are no rules. */
  readonly rules?: Pick<RuleStore, 'list'> | undefined;
  readonly logger: Logger;
}

/** How the rule is named in logs: its description, else its UUID (upstream's `description`). */
const ruleName = (rule: Rule) => rule.description || rule.uuid;

async function scopeMatches(rule: Rule, nodeInfo: NodeInfo): Promise<boolean> {
  if (!rule.scope) return true;
  return (await nodeInfo.ironic.node()).properties?.inspection_scope === rule.scope;
}

/** Whether every condition of the rule holds (upstream's `check_conditions`). */
export async function conditionsHold(
  rule: Rule,
  nodeInfo: NodeInfo,
  data: IntrospectionDocument,
  logger: Logger,
): Promise<boolean> {
  for (const condition of rule.conditions) {
    const { scheme, path } = splitField(condition.field);
    const source = scheme === 'node' ? sdkNodeDict(await nodeInfo.ironic.node()) : data;
    const where = `condition ${condition.op} on ${condition.field}`;
    let values: unknown[];
    try {
      values = findValues(parseJsonPath(path), source);
    } catch (err) {
      if (err instanceof JsonPathError) throw new RuleEvaluationError(rule.uuid, `${where}: ${err.message}`);
      throw err;
    }
    const plugin = conditionPlugin(condition.op);
    if (values.length === 0) {
      if (!plugin.allowNone) {
        logger.info(
          `Field with JSON path ${condition.field} was not found in data, rule "${ruleName(rule)}" will not be applied`,
          { node: nodeInfo.uuid },
        );
        return false;
      }
      values = [null];
    }
    let result = false;
    for (const value of values) {
      try {
        result = plugin.check(value, condition.params);
      } catch (err) {
        // ParameterError: a stored parameter that no longer checks (e.g. a rule written by an
        // older version); reported like any value that cannot be evaluated.
        if (!(err instanceof PythonError || err instanceof ParameterError)) throw err;
        throw new RuleEvaluationError(
          rule.uuid,
          `${where} with value ${pyRepr(condition.params.value)} and field value ${pyRepr(value)}: ${err.message}`,
        );
      }
      if (condition.invert) result = !result;
      if (
        condition.multiple === 'first' ||
        (condition.multiple === 'all' && !result) ||
        (condition.multiple === 'any' && result)
      ) {
        break;
      }
    }
    if (!result) {
      logger.info(`Rule "${ruleName(rule)}" will not be applied: ${where} failed`, { node: nodeInfo.uuid });
      return false;
    }
  }
  logger.info(`Rule "${ruleName(rule)}" will be applied`, { node: nodeInfo.uuid });
  return true;
}

/** Run the rule's actions, their `value` formatted with the data (upstream's `apply_actions`). */
export async function runActions(
  rule: Rule,
  nodeInfo: NodeInfo,
  data: IntrospectionDocument,
  logger: Logger,
): Promise<void> {
  for (const action of rule.actions) {
    const plugin = actionPlugin(action.action);
    const params: Record<string, unknown> = { ...action.params };
    for (const name of plugin.formatted) {
      if (Object.hasOwn(params, name)) params[name] = formatActionValue(params[name], data);
    }
    logger.debug(`Running action ${action.action}`, { node: nodeInfo.uuid, rule: rule.uuid, params });
    await plugin.apply(nodeInfo, params, { logger, rule: ruleName(rule) });
  }
}

/**
 * Apply every rule whose scope and conditions match. Returns the
 * UUIDs of the rules whose actions ran.
 *
 * @throws RuleFailAction, RuleEvaluationError, RuleFormattingError (400), Ironic's errors
 */
export async function applyIntrospectionRules(
  deps: RulesDeps,
  nodeInfo: NodeInfo,
  data: IntrospectionDocument,
): Promise<string[]> {
  // Conditions see the node as the hooks left it. Upstream drops its cached node here and reads it
  // again; the one cached is already that: Ironic's answer to the hooks' PATCH (or, with nothing to
  // change, the node as read by this request), so no second read.
  const rules = deps.rules === undefined ? [] : await deps.rules.list();
  if (rules.length === 0) {
    deps.logger.debug('No custom introspection rules to apply', { node: nodeInfo.uuid });
    return [];
  }
  const toApply: Rule[] = [];
  for (const rule of rules) {
    if (!(await scopeMatches(rule, nodeInfo))) {
      deps.logger.debug(`Rule "${ruleName(rule)}" is for scope ${rule.scope}, not this node's`, {
        node: nodeInfo.uuid,
      });
      continue;
    }
    if (await conditionsHold(rule, nodeInfo, data, deps.logger)) toApply.push(rule);
  }
  for (const rule of toApply) await runActions(rule, nodeInfo, data, deps.logger);
  deps.logger.info('Successfully applied custom introspection rules', {
    node: nodeInfo.uuid,
    applied: toApply.map((r) => r.uuid),
  });
  return toApply.map((r) => r.uuid);
}

/**
 * The rules engine, loaded when it is first used: the conditions, actions, formatting and JSON path
 * code (about 30 KB minified) is a chunk of its own in the Lambda bundles, so a function or a job step
 * that neither applies nor creates a rule does not load it. What the use cases import from here is
 * small: the loaders and the rule list read ahead.
 *
 * @example
 * ```ts
 * const rules = prefetchRules(ruleStore); // the list is read while the hooks run
 * await applyIntrospectionRules({ rules, logger }, nodeInfo, data);
 * ```
 */
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import type { RulesApiDeps, RulesUseCases } from '#lib/rules/api.ts';
import type { RulesDeps } from '#lib/rules/apply.ts';

/** `applyIntrospectionRules` of `lib/rules/apply.ts`, loaded on first use. */
export async function applyIntrospectionRules(
  deps: RulesDeps,
  nodeInfo: NodeInfo,
  data: IntrospectionDocument,
): Promise<string[]> {
  const { applyIntrospectionRules: apply } = await import('#lib/rules/apply.ts');
  return apply(deps, nodeInfo, data);
}

/** The rules API's use cases (`lib/rules/api.ts`), loaded by the first rules request. */
export function rulesUseCases(deps: RulesApiDeps): RulesUseCases {
  let loading: Promise<RulesUseCases> | undefined;
  const load = () => {
    loading ??= import('#lib/rules/api.ts').then((api) => api.rulesUseCases(deps));
    return loading;
  };
  return {
    create: async (body, request) => (await load()).create(body, request),
    list: async (request) => (await load()).list(request),
    get: async (uuid, request) => (await load()).get(uuid, request),
    delete: async (uuid) => (await load()).delete(uuid),
    deleteAll: async () => (await load()).deleteAll(),
  };
}

/**
 * The store's rule list, read from now on (while other work runs) and handed over when asked for. A
 * failed read fails where the list is used, not before.
 */
export function prefetchRules(
  store: Pick<RuleStore, 'list'> | undefined,
): Pick<RuleStore, 'list'> | undefined {
  if (store === undefined) return undefined;
  const listing = store.list();
  listing.catch(() => {}); // handled where it is awaited
  return { list: () => listing };
}

/**
 * The rules API as use cases, independent of HTTP plumbing: each takes what the request carried and
 * returns the status and body upstream answers.
 *
 * | route | use case | answer |
 * |---|---|---|
 * | `GET /v1/rules` | {@link listRules} | 200 `{"rules": [<short rule>, …]}` in creation order |
 * | `POST /v1/rules` | {@link createRule} | 201 full rule (200 below API 1.6); 400 / 409 / 413 |
 * | `DELETE /v1/rules` | {@link deleteAllRules} | 204 |
 * | `GET /v1/rules/<uuid>` | {@link getRule} | 200 full rule; 404 |
 * | `DELETE /v1/rules/<uuid>` | {@link deleteRule} | 204; 404 |
 *
 * `scope` is in every answer whatever the requested version (upstream does not gate it), and links
 * are path-only below the API's mount prefix.
 *
 * @example
 * ```ts
 * const { status, body } = await createRule(deps, requestBody, { apiVersion: [1, 0], pathPrefix: '' });
 * // status 200 (the stock client asks for 1.0)
 * ```
 */
import { randomUUID } from 'node:crypto';
import { RuleNotFound } from '#lib/domain/errors.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import { ruleBody, shortRuleBody } from '#lib/rules/rule.ts';
import { validateRule } from '#lib/rules/validation.ts';

/** What the use cases run on. */
export interface RulesApiDeps {
  readonly rules: RuleStore;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly newUuid?: () => string;
}

/** A status and the JSON body (undefined: an empty body, for 204). */
export interface RuleAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The request's context: the API version asked for and the path links start with. */
export interface RuleRequest {
  readonly apiVersion: readonly [number, number];
  /** `''` at the root, `/baremetal-introspection` behind a proxy mounting the API there. */
  readonly pathPrefix: string;
}

/** `POST /v1/rules`. */
export async function createRule(
  deps: RulesApiDeps,
  body: unknown,
  request: RuleRequest,
): Promise<RuleAnswer> {
  const rule = validateRule(body, { now: deps.now(), newUuid: deps.newUuid ?? randomUUID });
  await deps.rules.create(rule);
  deps.logger.info(
    `Created rule ${rule.uuid} with description "${rule.description}" and scope "${rule.scope}"`,
    {
      rule: rule.uuid,
    },
  );
  const [major, minor] = request.apiVersion;
  const status = major < 1 || (major === 1 && minor < 6) ? 200 : 201;
  return { status, body: ruleBody(rule, request.pathPrefix) };
}

/** `GET /v1/rules`. */
export async function listRules(deps: RulesApiDeps, request: RuleRequest): Promise<RuleAnswer> {
  const rules = await deps.rules.list();
  return { status: 200, body: { rules: rules.map((rule) => shortRuleBody(rule, request.pathPrefix)) } };
}

/** `GET /v1/rules/<uuid>` (the UUID matched exactly as stored). */
export async function getRule(deps: RulesApiDeps, uuid: string, request: RuleRequest): Promise<RuleAnswer> {
  const rule = await deps.rules.get(uuid);
  if (rule === undefined) throw new RuleNotFound(uuid);
  return { status: 200, body: ruleBody(rule, request.pathPrefix) };
}

/** `DELETE /v1/rules/<uuid>`. */
export async function deleteRule(deps: RulesApiDeps, uuid: string): Promise<RuleAnswer> {
  if (!(await deps.rules.delete(uuid))) throw new RuleNotFound(uuid);
  deps.logger.info(`Introspection rule ${uuid} was deleted`, { rule: uuid });
  return { status: 204, body: undefined };
}

/** `DELETE /v1/rules`: always 204. */
export async function deleteAllRules(deps: RulesApiDeps): Promise<RuleAnswer> {
  await deps.rules.deleteAll();
  deps.logger.info('All introspection rules were deleted');
  return { status: 204, body: undefined };
}

/** The rules use cases on one set of dependencies: what the route table calls. */
export interface RulesUseCases {
  create(body: unknown, request: RuleRequest): Promise<RuleAnswer>;
  list(request: RuleRequest): Promise<RuleAnswer>;
  get(uuid: string, request: RuleRequest): Promise<RuleAnswer>;
  delete(uuid: string): Promise<RuleAnswer>;
  deleteAll(): Promise<RuleAnswer>;
}

/** Bind the rules use cases to their dependencies. */
export function rulesUseCases(deps: RulesApiDeps): RulesUseCases {
  return {
    create: (body, request) => createRule(deps, body, request),
    list: (request) => listRules(deps, request),
    get: (uuid, request) => getRule(deps, uuid, request),
    delete: (uuid) => deleteRule(deps, uuid),
    deleteAll: () => deleteAllRules(deps),
  };
}

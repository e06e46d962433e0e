/**
 * The rules routes for the api function's route table: method, path pattern, policy rule and a
 * handler mapping the request to a use case in `lib/rules/api.ts` and its answer to HTTP (204 with
 * an empty `text/plain` body, as upstream).
 *
 * @example
 * ```ts
 * const routes = [...otherRoutes, ...rulesRoutes];
 * ```
 */
import type { PolicyRule } from '#lib/auth/policy.ts';
import {
  type ApiRequest,
  type ApiResponse,
  checkApiVersion,
  json,
  jsonBody,
  MAX_API_VERSION,
  MAX_VERSION_HEADER,
  MIN_API_VERSION,
  MIN_VERSION_HEADER,
} from '#lib/http/api.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';
import {
  createRule,
  deleteAllRules,
  deleteRule,
  getRule,
  listRules,
  type RuleAnswer,
  type RuleRequest,
  type RulesApiDeps,
} from '#lib/rules/api.ts';

/** What the handlers need of the runtime. */
export interface RulesRuntime {
  readonly rules: RuleStore;
  readonly logger: Logger;
  readonly deps: { readonly now: () => Date };
}

/** One route, shaped as the api function's route table takes them. */
export interface RulesRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly rule: PolicyRule;
  readonly handle: (request: ApiRequest, params: string[], rt: RulesRuntime) => Promise<ApiResponse>;
}

/** An empty answer (204), `text/plain` as upstream's, with the version headers. */
export function emptyResponse(statusCode: number): ApiResponse {
  return {
    statusCode,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      [MIN_VERSION_HEADER]: MIN_API_VERSION,
      [MAX_VERSION_HEADER]: MAX_API_VERSION,
    },
    body: '',
  };
}

function respond(answer: RuleAnswer): ApiResponse {
  return answer.body === undefined ? emptyResponse(answer.status) : json(answer.status, answer.body);
}

function context(request: ApiRequest): RuleRequest {
  return {
    apiVersion: checkApiVersion(request.headers),
    pathPrefix: new URL(request.root).pathname.replace(/\/+$/, ''),
  };
}

function deps(rt: RulesRuntime): RulesApiDeps {
  return { rules: rt.rules, logger: rt.logger, now: rt.deps.now };
}

export const rulesRoutes: readonly RulesRoute[] = [
  {
    method: 'GET',
    pattern: /^\/v1\/rules$/,
    rule: 'introspection:rule:get',
    handle: async (request, _params, rt) => respond(await listRules(deps(rt), context(request))),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/rules$/,
    rule: 'introspection:rule:create',
    handle: async (request, _params, rt) =>
      respond(await createRule(deps(rt), jsonBody(request), context(request))),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/rules$/,
    rule: 'introspection:rule:delete',
    handle: async (_request, _params, rt) => respond(await deleteAllRules(deps(rt))),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/rules\/([^/]+)$/,
    rule: 'introspection:rule:get',
    handle: async (request, [uuid], rt) => respond(await getRule(deps(rt), uuid as string, context(request))),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/rules\/([^/]+)$/,
    rule: 'introspection:rule:delete',
    handle: async (_request, [uuid], rt) => respond(await deleteRule(deps(rt), uuid as string)),
  },
];

/**
 * The v1 API as a table: method, path template, upstream's policy rule, and what the route does (parse
 * with zod, call one use case, map the result). Routing, the version check, the body limit, the policy
 * and the error body are middlewares around it (`lib/http/middlewares.ts`).
 *
 * To add a route: add a {@link Route} here (a `{name}` in the path is one percent-decoded segment,
 * given to `handle` as `params.name`), with its policy rule (`lib/auth/policy.ts`), and, if API Gateway
 * must leave it public, to `PUBLIC_ROUTES` there too. Order matters only where two templates match the
 * same path: the first wins.
 *
 * @example
 * ```ts
 * { method: 'GET', path: '/v1/introspection/{node_id}', rule: 'introspection:status',
 *   handle: async (request, { node_id }, app) => json(200, …) }
 * ```
 */
import type { PolicyRule } from '#lib/auth/policy.ts';
import type { InspectorConfig } from '#lib/config.ts';
import { ManagedBootUnavailable, VersionNotFound } from '#lib/domain/errors.ts';
import { ADDITION_ROUTES } from '#lib/http/addition-routes.ts';
import { resourcesBody, statusBody, versionsBody } from '#lib/http/links.ts';
import { pxeFilterResponse } from '#lib/http/pxe-filter.ts';
import { jsonBody, listQuery, manageBootQuery, parseOr400 } from '#lib/http/queries.ts';
import type { ApiRequest } from '#lib/http/request.ts';
import { type ApiResponse, empty, json } from '#lib/http/responses.ts';
import { checkApiVersion } from '#lib/http/version.ts';
import type { UseCases } from '#lib/introspection/use-cases.ts';
import type { RuleAnswer, RuleRequest } from '#lib/rules/api.ts';

/** What routes call: the use cases and the settings. */
export interface RouteContext {
  readonly useCases: UseCases;
  readonly config: InspectorConfig;
}

/** One route. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path template below the stage: `{name}` is one path segment. */
  readonly path: string;
  /** Upstream's policy rule for the route. */
  readonly rule: PolicyRule;
  /**
   * The route reads only `app.config`, never the use cases: the api answers it without loading the
   * runtime (node cache, Ironic client, AWS SDK clients; `functions/api.ts`).
   */
  readonly configOnly?: true;
  readonly handle: (
    request: ApiRequest,
    params: Readonly<Record<string, string>>,
    app: RouteContext,
  ) => Promise<ApiResponse>;
}

const accepted = () => json(202, {});

/** The node's id from the path (every `{node_id}` route has one). */
const nodeId = (params: Readonly<Record<string, string>>) => params.node_id as string;

/** A rules answer: JSON, or an empty 204 as upstream's. */
const ruleResponse = (answer: RuleAnswer) =>
  answer.body === undefined ? empty(answer.status) : json(answer.status, answer.body);

/** What the rules use cases read of the request: the microversion and the links' path prefix. */
const ruleRequest = (request: ApiRequest): RuleRequest => ({
  apiVersion: checkApiVersion(request.headers),
  pathPrefix: new URL(request.root).pathname.replace(/\/+$/, ''),
});

/** Every route of the v1 API. */
export const ROUTES: readonly Route[] = [
  // /openapi.json and /dashboard…, before GET /{version} would take them.
  ...ADDITION_ROUTES,
  {
    method: 'GET',
    path: '/',
    rule: 'public',
    configOnly: true,
    handle: async (request) => json(200, versionsBody(request.root)),
  },
  {
    method: 'POST',
    path: '/v1/continue',
    rule: 'public',
    // The ramdisk's body: JSON whatever the Content-Type; not an object is 400 (in the use case).
    handle: async (request, _params, app) =>
      json(
        200,
        await app.useCases.continue.process(jsonBody(request) ?? null, { sourceIp: request.sourceIp }),
      ),
  },
  {
    method: 'GET',
    path: '/v1/introspection',
    rule: 'introspection:status',
    handle: async (request, _params, app) => {
      const query = parseOr400(listQuery(app.config.apiMaxLimit), request.query);
      const nodes = await app.useCases.reads.list({
        limit: query.limit,
        ...(query.marker !== undefined ? { marker: query.marker } : {}),
        ...(query.state !== undefined ? { state: query.state } : {}),
      });
      const introspection = await Promise.all(
        nodes.map(async (n) => statusBody(n, await n.state(), request.root)),
      );
      return json(200, { introspection });
    },
  },
  {
    method: 'POST',
    path: '/v1/introspection/{node_id}',
    rule: 'introspection:start',
    handle: async (request, params, app) => {
      const manageBoot = parseOr400(manageBootQuery, request.query.manage_boot);
      if (manageBoot && !app.config.canManageBoot) throw new ManagedBootUnavailable();
      await app.useCases.start.start(nodeId(params), { manageBoot });
      return accepted();
    },
  },
  {
    method: 'GET',
    path: '/v1/introspection/{node_id}',
    rule: 'introspection:status',
    handle: async (request, params, app) => {
      const nodeInfo = await app.useCases.reads.status(nodeId(params));
      return json(200, statusBody(nodeInfo, await nodeInfo.state(), request.root));
    },
  },
  {
    method: 'POST',
    path: '/v1/introspection/{node_id}/abort',
    rule: 'introspection:abort',
    handle: async (_request, params, app) => {
      await app.useCases.abort.abort(nodeId(params));
      return accepted();
    },
  },
  {
    method: 'GET',
    path: '/v1/introspection/{node_id}/data',
    rule: 'introspection:data',
    handle: async (_request, params, app) => json(200, await app.useCases.reads.data(nodeId(params))),
  },
  {
    method: 'GET',
    path: '/v1/introspection/{node_id}/data/unprocessed',
    rule: 'introspection:data',
    handle: async (_request, params, app) =>
      json(200, await app.useCases.reads.data(nodeId(params), { processed: false })),
  },
  {
    method: 'POST',
    path: '/v1/introspection/{node_id}/data/unprocessed',
    rule: 'introspection:reapply',
    handle: async (request, params, app) => {
      await app.useCases.reapply.reapply(nodeId(params), jsonBody(request));
      return accepted();
    },
  },
  {
    // An addition to upstream's API (the dnsmasq agent's source): not listed under GET /v1.
    method: 'GET',
    path: '/v1/pxe-filter',
    rule: 'introspection:pxe_filter',
    handle: async (request, _params, app) => pxeFilterResponse(request, await app.useCases.pxeFilter()),
  },
  {
    method: 'GET',
    path: '/v1/rules',
    rule: 'introspection:rule:get',
    handle: async (request, _params, app) =>
      ruleResponse(await app.useCases.rules.list(ruleRequest(request))),
  },
  {
    method: 'POST',
    path: '/v1/rules',
    rule: 'introspection:rule:create',
    handle: async (request, _params, app) =>
      ruleResponse(await app.useCases.rules.create(jsonBody(request), ruleRequest(request))),
  },
  {
    method: 'DELETE',
    path: '/v1/rules',
    rule: 'introspection:rule:delete',
    handle: async (_request, _params, app) => ruleResponse(await app.useCases.rules.deleteAll()),
  },
  {
    method: 'GET',
    path: '/v1/rules/{uuid}',
    rule: 'introspection:rule:get',
    handle: async (request, params, app) =>
      ruleResponse(await app.useCases.rules.get(params.uuid as string, ruleRequest(request))),
  },
  {
    method: 'DELETE',
    path: '/v1/rules/{uuid}',
    rule: 'introspection:rule:delete',
    handle: async (_request, params, app) =>
      ruleResponse(await app.useCases.rules.delete(params.uuid as string)),
  },
  {
    method: 'GET',
    path: '/{version}',
    rule: 'public',
    configOnly: true,
    handle: async (request, params) => {
      if (params.version !== 'v1') throw new VersionNotFound(params.version as string);
      return json(200, resourcesBody(request.root));
    },
  },
];

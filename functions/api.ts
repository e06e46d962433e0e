/**
 * The api function: every v1 route behind API Gateway (HTTP API, payload 2.0). Thin: parse the
 * request with zod, call the inspector in `lib/`, map the result or the error to the inspector's
 * HTTP answer. It answers synchronously and leaves nothing running: slow work is a job for the worker.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { checkPolicy, type PolicyRule } from '#lib/auth/policy.ts';
import { InspectorError } from '#lib/errors.ts';
import {
  type ApiRequest,
  type ApiResponse,
  checkApiVersion,
  errorResponse,
  json,
  jsonBody,
  listQuery,
  MAX_API_VERSION,
  METHOD_NOT_ALLOWED_MESSAGE,
  manageBootQuery,
  NOT_FOUND_MESSAGE,
  parseOr400,
  requestFromEvent,
  responseForError,
  statusBody,
} from '#lib/http/api.ts';
import { callbackSourceGuard } from '#lib/http/callback-source.ts';
import { powertoolsLogger, powertoolsMetrics } from '#lib/observability.ts';
import { type InspectorRuntime, runtime } from '#lib/runtime.ts';

type RouteHandler = (request: ApiRequest, params: string[], rt: InspectorRuntime) => Promise<ApiResponse>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  /** Upstream's policy rule for the route. */
  readonly rule: PolicyRule;
  readonly handle: RouteHandler;
}

const ACCEPTED = () => json(202, {});

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/$/,
    rule: 'public',
    handle: async (request) =>
      json(200, {
        versions: [
          { id: MAX_API_VERSION, links: [{ href: `${request.root}/v1`, rel: 'self' }], status: 'CURRENT' },
        ],
      }),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/continue$/,
    rule: 'public',
    handle: async (request, _params, rt) =>
      json(200, await rt.inspector.continueIntrospection(continueBody(request))),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/introspection$/,
    rule: 'introspection:status',
    handle: async (request, _params, rt) => {
      const query = parseOr400(listQuery(rt.config.apiMaxLimit), request.query);
      const nodes = await rt.inspector.list({
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
    pattern: /^\/v1\/introspection\/([^/]+)$/,
    rule: 'introspection:start',
    handle: async (request, [nodeId], rt) => {
      const manageBoot = parseOr400(manageBootQuery, request.query.manage_boot);
      if (manageBoot && !rt.config.canManageBoot) {
        throw new InspectorError(
          'Managed boot is requested, but this installation cannot manage boot ((can_manage_boot set to False)',
        );
      }
      await rt.inspector.startIntrospection(nodeId as string, { manageBoot });
      return ACCEPTED();
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/introspection\/([^/]+)$/,
    rule: 'introspection:status',
    handle: async (request, [nodeId], rt) => {
      const nodeInfo = await rt.inspector.status(nodeId as string);
      return json(200, statusBody(nodeInfo, await nodeInfo.state(), request.root));
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/introspection\/([^/]+)\/abort$/,
    rule: 'introspection:abort',
    handle: async (_request, [nodeId], rt) => {
      await rt.inspector.abort(nodeId as string);
      return ACCEPTED();
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/introspection\/([^/]+)\/data$/,
    rule: 'introspection:data',
    handle: async (_request, [nodeId], rt) =>
      json(200, await rt.inspector.introspectionData(nodeId as string, true)),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/introspection\/([^/]+)\/data\/unprocessed$/,
    rule: 'introspection:data',
    handle: async (_request, [nodeId], rt) =>
      json(200, await rt.inspector.introspectionData(nodeId as string, false)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/introspection\/([^/]+)\/data\/unprocessed$/,
    rule: 'introspection:reapply',
    handle: async (request, [nodeId], rt) => {
      await rt.inspector.reapply(nodeId as string, jsonBody(request));
      return ACCEPTED();
    },
  },
  {
    method: 'GET',
    pattern: /^\/([^/]+)$/,
    rule: 'public',
    handle: async (request, [version]) => {
      if (version !== 'v1') throw new InspectorError(`Version ${version} not found.`, 404);
      const resources = ['continue', 'introspection'].map((name) => ({
        links: [{ href: `${request.root}/v1/${name}`, rel: 'self' }],
        name,
      }));
      return json(200, { resources });
    },
  },
];

/** The ramdisk's body: JSON whatever the Content-Type; not an object is 400 (in the inspector). */
function continueBody(request: ApiRequest): unknown {
  const body = jsonBody(request);
  return body === undefined ? null : body;
}

/** Answer one request (the handler below wraps it in middy). */
export async function answer(
  event: APIGatewayProxyEventV2,
  rt: InspectorRuntime = runtime(),
): Promise<ApiResponse> {
  let request: ApiRequest;
  try {
    request = requestFromEvent(event);
    powertoolsLogger.appendKeys({ requestId: request.requestId });
    if (request.body !== undefined && Buffer.byteLength(request.body) > rt.config.maxBodyBytes) {
      return errorResponse(
        413,
        `Request body of ${Buffer.byteLength(request.body)} bytes is larger than the API can carry (${rt.config.maxBodyBytes} bytes)`,
      );
    }
    checkApiVersion(request.headers);
  } catch (err) {
    return responseForError(err, rt.config.debug);
  }
  let methodMismatch = false;
  for (const route of routes) {
    const match = route.pattern.exec(request.path);
    if (match === null) continue;
    if (route.method !== request.method) {
      methodMismatch = true;
      continue;
    }
    try {
      checkPolicy(rt.config.apiAuthStrategy, route.rule, request.identity);
      let params: string[];
      try {
        params = match.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        return errorResponse(404, NOT_FOUND_MESSAGE); // malformed percent-encoding names nothing
      }
      if (params[0] !== undefined) powertoolsLogger.appendKeys({ node: params[0] });
      const response = await route.handle(request, params, rt);
      if (Buffer.byteLength(response.body) > rt.config.maxBodyBytes) {
        return errorResponse(
          413,
          `Response body of ${Buffer.byteLength(response.body)} bytes is larger than the API can carry (${rt.config.maxBodyBytes} bytes)`,
        );
      }
      return response;
    } catch (err) {
      if (!(err instanceof InspectorError) || err.httpStatus >= 500) {
        rt.logger.error('Request failed', { path: request.path, method: request.method, error: String(err) });
      }
      return responseForError(err, rt.config.debug);
    }
  }
  return methodMismatch
    ? errorResponse(405, METHOD_NOT_ALLOWED_MESSAGE)
    : errorResponse(404, NOT_FOUND_MESSAGE);
}

export const handler = middy<APIGatewayProxyEventV2, ApiResponse>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(powertoolsLogger, { resetKeys: true }))
  .use(logMetrics(powertoolsMetrics))
  .use(
    callbackSourceGuard(() => ({ allowed: runtime().config.callbackAllowedCidrs, logger: runtime().logger })),
  )
  .handler((event) => answer(event));

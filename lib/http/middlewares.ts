/**
 * The api function's middy middlewares, each one concern, in the order `functions/api.ts` chains
 * them: read the request, refuse ramdisk callbacks from outside the allowed ranges, refuse bodies too
 * large to carry, check the microversion, find the route,
 * apply the route's policy; and, around all of them, map any error to the inspector's error body.
 * What a middleware finds for the next ones (the request, the route) travels in `context.api`.
 *
 * @example
 * ```ts
 * lambdaHandler(dispatch(app), [errorMapping({ debug, logger }), apiRequest(), callbackSource({ allowed, logger }),
 *   bodyLimit({ maxBytes }),
 *   apiVersion(), routing(ROUTES), policy({ strategy })]);
 * ```
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type AuthStrategy, checkPolicy } from '#lib/auth/policy.ts';
import type { InspectorConfig } from '#lib/config.ts';
import type { CidrList } from '#lib/domain/cidr.ts';
import {
  BodyTooLarge,
  CallbackSourceRefused,
  InspectorError,
  MethodNotAllowed,
  UrlNotFound,
} from '#lib/domain/errors.ts';
import { type ApiRequest, requestFromEvent } from '#lib/http/request.ts';
import { type ApiResponse, responseForError } from '#lib/http/responses.ts';
import type { Route, RouteContext } from '#lib/http/routes.ts';
import { checkApiVersion } from '#lib/http/version.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What the middlewares found so far. */
export interface ApiState {
  request?: ApiRequest;
  route?: Route;
  /** The raw (still percent-encoded) values of the route's `{name}` segments, by name. */
  rawParams?: Readonly<Record<string, string>>;
}

/** The Lambda context, carrying {@link ApiState}. */
export type ApiContext = Context & { api?: ApiState };

type ApiMiddleware = MiddlewareObj<APIGatewayProxyEventV2, ApiResponse, Error, ApiContext>;

function state(context: ApiContext): ApiState {
  context.api ??= {};
  return context.api;
}

function requestOf(context: ApiContext): ApiRequest {
  const request = context.api?.request;
  if (request === undefined) throw new Error('BUG: the apiRequest middleware must come first');
  return request;
}

/** The request read from the API Gateway event; its id goes on every log line. */
export function apiRequest(options: {
  readonly appendKeys: (keys: Record<string, string>) => void;
}): ApiMiddleware {
  return {
    before: ({ event, context }) => {
      const request = requestFromEvent(event);
      state(context).request = request;
      options.appendKeys({ requestId: request.requestId });
    },
  };
}

/**
 * Who may call back: `POST /v1/continue` is answered only for source addresses in `allowed`
 * (`CALLBACK_ALLOWED_CIDRS`, the provisioning network's egress ranges); from anywhere else, or with no
 * source address, it is 403 before the body is read or any lookup made. Here rather than at API
 * Gateway: an HTTP API has no resource policy and no WAF, and an authorizer would answer API
 * Gateway's own body and cost a second invocation.
 */
export function callbackSource(options: {
  readonly allowed: CidrList;
  readonly logger: Logger;
}): ApiMiddleware {
  return {
    before: ({ context }) => {
      const { method, path, sourceIp } = requestOf(context);
      if (method !== 'POST' || path !== '/v1/continue' || options.allowed.contains(sourceIp)) return;
      options.logger.warn('Ramdisk callback refused: source address outside CALLBACK_ALLOWED_CIDRS', {
        source: sourceIp,
      });
      throw new CallbackSourceRefused(sourceIp);
    },
  };
}

/** Bodies larger than the API can carry are refused with 413, the request's and the answer's. */
export function bodyLimit(options: { readonly maxBytes: number }): ApiMiddleware {
  const { maxBytes } = options;
  return {
    before: ({ context }) => {
      const body = requestOf(context).body;
      if (body !== undefined && Buffer.byteLength(body) > maxBytes) {
        throw new BodyTooLarge('Request', Buffer.byteLength(body), maxBytes);
      }
    },
    after: (request) => {
      const bytes = Buffer.byteLength(request.response?.body ?? '');
      if (bytes > maxBytes)
        request.response = responseForError(new BodyTooLarge('Response', bytes, maxBytes), false);
    },
  };
}

/** The microversion header, checked before routing (400 malformed, 406 out of range). */
export function apiVersion(): ApiMiddleware {
  return {
    before: ({ context }) => {
      checkApiVersion(requestOf(context).headers);
    },
  };
}

/** A path template as a regular expression, and the names of its `{name}` segments. */
function compile(route: Route): { readonly pattern: RegExp; readonly names: readonly string[] } {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]|\{([a-z_]+)\}/g, (token, name: string | undefined) => {
    if (name === undefined) return `\\${token}`;
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), names };
}

/** The route for the path and method: 404 for an unknown path, 405 for a known path's other method. */
export function routing(routes: readonly Route[]): ApiMiddleware {
  const table = routes.map((route) => ({ route, ...compile(route) }));
  return {
    before: ({ context }) => {
      const request = requestOf(context);
      let methodMismatch = false;
      for (const { route, pattern, names } of table) {
        const match = pattern.exec(request.path);
        if (match === null) continue;
        if (route.method !== request.method) {
          methodMismatch = true;
          continue;
        }
        state(context).route = route;
        state(context).rawParams = Object.fromEntries(names.map((name, i) => [name, match[i + 1] as string]));
        return;
      }
      throw methodMismatch ? new MethodNotAllowed() : new UrlNotFound();
    },
  };
}

/** Upstream's policy for the route (401 without a confirmed identity, 403 without the role). */
export function policy(options: { readonly strategy: AuthStrategy }): ApiMiddleware {
  return {
    before: ({ context }) => {
      const route = context.api?.route;
      if (route === undefined) throw new Error('BUG: the routing middleware must come before policy');
      checkPolicy(options.strategy, route.rule, requestOf(context).identity);
    },
  };
}

/**
 * Any error becomes the inspector's error body (`{"error": {"message": …}}`, with the version
 * headers); errors that are not the caller's (500s, unexpected ones) are logged.
 */
export function errorMapping(options: { readonly debug: boolean; readonly logger: Logger }): ApiMiddleware {
  return {
    onError: (request) => {
      const err = request.error;
      if (!(err instanceof InspectorError) || err.httpStatus >= 500) {
        const api = request.context.api?.request;
        options.logger.error('Request failed', {
          path: api?.path ?? request.event.rawPath,
          method: api?.method ?? request.event.requestContext?.http?.method,
          error: String(err),
        });
      }
      // Set, not returned: returning would skip the Powertools onError steps (metrics, log keys).
      request.response = responseForError(err, options.debug);
    },
  };
}

/** Use cases loaded when a route first needs them (the api function), its settings known before. */
export interface LazyRouteContext {
  readonly config: InspectorConfig;
  load(): Promise<RouteContext>;
}

/** What a `configOnly` route gets: the settings; the use cases are a bug to touch. */
function configOnlyContext(config: InspectorConfig): RouteContext {
  return {
    config,
    get useCases(): RouteContext['useCases'] {
      throw new Error('BUG: a configOnly route used the use cases');
    },
  };
}

/**
 * The handler at the centre: the route's parameters percent-decoded (a malformed one names nothing:
 * 404), the node on every log line, then the route itself.
 */
export function dispatch(
  app: RouteContext | LazyRouteContext,
  options: { readonly appendKeys: (keys: Record<string, string>) => void },
): (event: APIGatewayProxyEventV2, context: ApiContext) => Promise<ApiResponse> {
  return async (_event, context) => {
    const { route, rawParams = {} } = state(context);
    if (route === undefined) throw new Error('BUG: the routing middleware must come before the handler');
    let params: Record<string, string>;
    try {
      params = Object.fromEntries(
        Object.entries(rawParams).map(([name, raw]) => [name, decodeURIComponent(raw)]),
      );
    } catch {
      throw new UrlNotFound();
    }
    if (params.node_id !== undefined) options.appendKeys({ node: params.node_id });
    const routeContext = !('load' in app)
      ? app
      : route.configOnly
        ? configOnlyContext(app.config)
        : await app.load();
    return route.handle(requestOf(context), params, routeContext);
  };
}

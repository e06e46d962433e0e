/**
 * The api function: every v1 route behind API Gateway (HTTP API, payload 2.0), as a middy chain of
 * small middlewares around the route table (`lib/http/`). It answers synchronously and leaves nothing
 * running: slow work is a job for the worker.
 *
 * Small and fast to start: the runtime (node cache, Ironic client, AWS SDK clients) is a chunk of its
 * own (code splitting, `infra/bundling.ts`), loaded by the first route that needs the use cases;
 * `GET /`, `GET /v1`, the dashboard's files and every answer found before routing (400, 404, 405,
 * 406, 413) never load it.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { once } from '#lib/adapters/lazy.ts';
import { type InspectorConfig, config as processConfig } from '#lib/config.ts';
import {
  type ApiContext,
  apiRequest,
  apiVersion,
  bodyLimit,
  callbackSource,
  dispatch,
  errorMapping,
  type LazyRouteContext,
  policy,
  routing,
} from '#lib/http/middlewares.ts';
import type { ApiResponse } from '#lib/http/responses.ts';
import { ROUTES, type RouteContext } from '#lib/http/routes.ts';
import { lambdaHandler, lazyHandler } from '#lib/lambda.ts';
import { powertoolsLogger, logger as processLogger } from '#lib/observability.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { InspectorRuntime } from '#lib/runtime.ts';

function apiHandler(config: InspectorConfig, logger: Logger, app: RouteContext | LazyRouteContext) {
  const appendKeys = (keys: Record<string, string>) => powertoolsLogger.appendKeys(keys);
  return lambdaHandler<APIGatewayProxyEventV2, ApiResponse, ApiContext>(dispatch(app, { appendKeys }), [
    errorMapping({ debug: config.debug, logger }),
    apiRequest({ appendKeys }),
    callbackSource({ allowed: config.callbackAllowedCidrs, logger }),
    bodyLimit({ maxBytes: config.maxBodyBytes }),
    apiVersion(),
    routing(ROUTES),
    policy({ strategy: config.apiAuthStrategy }),
  ]);
}

/** The api handler on a runtime (the local stack and the tests pass theirs). */
export function createApiHandler(rt: InspectorRuntime) {
  return apiHandler(rt.config, rt.logger, rt);
}

/** The process's runtime, loaded (a chunk of its own) and built when a route first needs it. */
function lazyRuntime(config: InspectorConfig): LazyRouteContext {
  // A failed load is tried again by the next request.
  return { config, load: once(async () => (await import('#lib/runtime.ts')).runtime()) };
}

export const handler = lazyHandler(() => {
  const config = processConfig();
  return apiHandler(config, processLogger, lazyRuntime(config));
});

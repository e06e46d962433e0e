/**
 * The api function: every v1 route behind API Gateway (HTTP API, payload 2.0), as a middy chain of
 * small middlewares around the route table (`lib/http/`). It answers synchronously and leaves nothing
 * running: slow work is a job for the worker.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  type ApiContext,
  apiRequest,
  apiVersion,
  bodyLimit,
  callbackSource,
  dispatch,
  errorMapping,
  policy,
  routing,
} from '#lib/http/middlewares.ts';
import type { ApiResponse } from '#lib/http/responses.ts';
import { ROUTES } from '#lib/http/routes.ts';
import { lambdaHandler, lazyHandler } from '#lib/lambda.ts';
import { powertoolsLogger } from '#lib/observability.ts';
import { type InspectorRuntime, runtime } from '#lib/runtime.ts';

/** The api handler on a runtime (the local stack and the tests pass theirs). */
export function createApiHandler(rt: InspectorRuntime) {
  const { config } = rt;
  const appendKeys = (keys: Record<string, string>) => powertoolsLogger.appendKeys(keys);
  return lambdaHandler<APIGatewayProxyEventV2, ApiResponse, ApiContext>(dispatch(rt, { appendKeys }), [
    errorMapping({ debug: config.debug, logger: rt.logger }),
    apiRequest({ appendKeys }),
    callbackSource({ allowed: config.callbackAllowedCidrs, logger: rt.logger }),
    bodyLimit({ maxBytes: config.maxBodyBytes }),
    apiVersion(),
    routing(ROUTES),
    policy({ strategy: config.apiAuthStrategy }),
  ]);
}

export const handler = lazyHandler(() => createApiHandler(runtime()));

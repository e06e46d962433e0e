/**
 * Who may call back: `POST /v1/continue` is answered only for source addresses in
 * `CALLBACK_ALLOWED_CIDRS` (the provisioning network's egress ranges); from anywhere else it is 403
 * in the inspector's format, before the body is read or any lookup is made.
 *
 * Why here, in the api function, and not at API Gateway: the stack's API is an HTTP API, which has no
 * resource policies and no WAF. A Lambda authorizer on the route could compare the address too, but
 * it would answer API Gateway's own `{"message": "Forbidden"}` and cost a second invocation. The
 * address read here is `requestContext.http.sourceIp`, the peer of API Gateway's TLS connection (no
 * header a caller writes can change it); the local stack fills it from the socket the same way.
 * A refused callback costs one short invocation; the stage's throttling bounds how many.
 *
 * @example
 * ```ts
 * middy(handler).use(callbackSourceGuard(() => ({ allowed: config().callbackAllowedCidrs, logger })));
 * ```
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CidrList } from '#lib/domain/cidr.ts';
import { type ApiResponse, errorResponse, requestFromEvent } from '#lib/http/api.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** Whether a request is the ramdisk callback (as the api routes it: stage and trailing slashes aside). */
export function isCallback(event: APIGatewayProxyEventV2): boolean {
  try {
    const request = requestFromEvent(event);
    return request.method === 'POST' && request.path === '/v1/continue';
  } catch {
    return false; // not a request the api could route anyway; it answers it
  }
}

/**
 * The refusal for a callback from outside `allowed`, or undefined when the request may go on
 * (not a callback, or from an allowed address). An event without a source address is refused.
 */
export function callbackSourceRefusal(
  event: APIGatewayProxyEventV2,
  allowed: CidrList,
  logger?: Logger,
): ApiResponse | undefined {
  if (!isCallback(event)) return undefined;
  const source = event.requestContext?.http?.sourceIp;
  if (allowed.contains(source)) return undefined;
  logger?.warn('Ramdisk callback refused: source address outside CALLBACK_ALLOWED_CIDRS', { source });
  return errorResponse(403, `Ramdisk callbacks are not accepted from ${source ?? 'an unknown address'}`);
}

/** The middy middleware: refuses callbacks from outside the allowed ranges before the handler runs. */
export function callbackSourceGuard(
  settings: () => { allowed: CidrList; logger?: Logger },
): MiddlewareObj<APIGatewayProxyEventV2, ApiResponse> {
  return {
    before: (request) => {
      const { allowed, logger } = settings();
      // A value returned from `before` is the answer: the handler does not run.
      return callbackSourceRefusal(request.event, allowed, logger);
    },
  };
}

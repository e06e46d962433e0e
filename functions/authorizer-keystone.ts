/**
 * The HTTP API Lambda authorizer for `keystone`: validates `X-Auth-Token` against Keystone
 * (`KEYSTONE_AUTH_URL`) and applies upstream's default policy (readers may read, `admin`/`service`
 * may act). Valid tokens are cached in the container until they expire (five minutes at most); API
 * Gateway also caches the answer per token and method.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { KeystoneTokenValidator } from '#lib/auth/keystone-tokens.ts';
import { logger } from '#lib/observability.ts';

let shared: KeystoneTokenValidator | undefined;

function validator(): KeystoneTokenValidator {
  shared ??= new KeystoneTokenValidator(process.env.KEYSTONE_AUTH_URL ?? '');
  return shared;
}

/** The decision for one request (tests pass their own validator). */
export async function authorizeKeystone(
  event: APIGatewayRequestAuthorizerEventV2,
  tokens: KeystoneTokenValidator = validator(),
): Promise<APIGatewaySimpleAuthorizerWithContextResult<{ user: string }>> {
  const token = event.headers?.['x-auth-token'] ?? event.headers?.['X-Auth-Token'];
  const decision = await tokens.authorize(token, event.requestContext.http.method);
  if (!decision.allowed) {
    logger.info('Keystone authorization refused', { reason: decision.reason, route: event.routeKey });
    return { isAuthorized: false, context: { user: '' } };
  }
  return { isAuthorized: true, context: { user: decision.user } };
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeKeystone(event);

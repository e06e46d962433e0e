/**
 * The HTTP API Lambda authorizer for `keystone`: validates `X-Auth-Token` against Keystone
 * (`KEYSTONE_AUTH_URL`) and passes the caller's roles and scope on; the api applies upstream's policy
 * per route and answers 401/403 in the inspector's format (upstream's delayed auth decision). Valid
 * tokens are cached in the container until they expire (five minutes at most); API Gateway also
 * caches the identity per token.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { KeystoneTokenValidator } from '#lib/auth/keystone-tokens.ts';
import { authorizerContext } from '#lib/auth/policy.ts';
import { logger } from '#lib/observability.ts';

let shared: KeystoneTokenValidator | undefined;

function validator(): KeystoneTokenValidator {
  shared ??= new KeystoneTokenValidator(process.env.KEYSTONE_AUTH_URL ?? '');
  return shared;
}

/** The identity of one request (tests pass their own validator). */
export async function authorizeKeystone(
  event: APIGatewayRequestAuthorizerEventV2,
  tokens: KeystoneTokenValidator = validator(),
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  const token = event.headers?.['x-auth-token'] ?? event.headers?.['X-Auth-Token'];
  const identity = await tokens.identify(token);
  if (identity.status !== 'Confirmed') logger.info('Keystone token refused', { route: event.routeKey });
  return { isAuthorized: true, context: { ...authorizerContext(identity), user: identity.user ?? '' } };
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeKeystone(event);

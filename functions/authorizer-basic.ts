/**
 * The HTTP API Lambda authorizer for `http_basic`: checks the `Authorization` header against bcrypt
 * htpasswd entries kept in Secrets Manager (`HTPASSWD_SECRET_ID`, fetched once per container and
 * again after five minutes, so added users work without a deploy). Simple responses; API Gateway
 * caches the answer per header value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { checkBasicAuthorization, type HtpasswdUsers, parseHtpasswd } from '#lib/auth/htpasswd.ts';
import { logger } from '#lib/observability.ts';

const REFRESH_MS = 5 * 60_000;
const secrets = new SecretsManagerClient({});
let users: { value: Promise<HtpasswdUsers>; loadedAt: number } | undefined;

async function htpasswdUsers(): Promise<HtpasswdUsers> {
  if (users === undefined || Date.now() - users.loadedAt > REFRESH_MS) {
    const secretId = process.env.HTPASSWD_SECRET_ID;
    if (!secretId) throw new Error('HTPASSWD_SECRET_ID is not set');
    const value = secrets
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((s) => parseHtpasswd(s.SecretString ?? ''));
    users = { value, loadedAt: Date.now() };
    value.catch(() => {
      users = undefined;
    });
  }
  return users.value;
}

/** The decision for one request, given the users (tests call this directly). */
export async function authorizeBasic(
  event: APIGatewayRequestAuthorizerEventV2,
  loadUsers: () => Promise<HtpasswdUsers> = htpasswdUsers,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<{ user: string }>> {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const result = await checkBasicAuthorization(await loadUsers(), header);
  if (!result.ok) {
    logger.info('Basic authentication refused', { reason: result.reason, route: event.routeKey });
    return { isAuthorized: false, context: { user: '' } };
  }
  return { isAuthorized: true, context: { user: result.user } };
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeBasic(event);

/**
 * The HTTP API Lambda authorizer for `http_basic`: checks the `Authorization` header against bcrypt
 * htpasswd entries kept in Secrets Manager (`HTPASSWD_SECRET_ID`; fetched once per container and
 * again after five minutes, so added users work without a deploy).
 *
 * Upstream's delayed decision: the request always goes on, carrying `identityStatus` (`Confirmed` or
 * `Invalid`); the api answers 401 "Authentication required" for protected routes. API Gateway caches
 * the result per header value.
 */
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { checkBasicAuthorization, type HtpasswdUsers, parseHtpasswd } from '#lib/auth/htpasswd.ts';
import { authorizerContext } from '#lib/auth/policy.ts';
import { logger } from '#lib/observability.ts';

const REFRESH_MS = 5 * 60_000;
let users: { value: Promise<HtpasswdUsers>; loadedAt: number } | undefined;

/** The htpasswd text: the Secrets Manager secret (AWS) or `HTPASSWD_FILE` (local stack). */
async function htpasswdText(): Promise<string> {
  if (process.env.HTPASSWD_FILE) return readFile(process.env.HTPASSWD_FILE, 'utf8');
  const secretId = process.env.HTPASSWD_SECRET_ID;
  if (!secretId) throw new Error('Neither HTPASSWD_SECRET_ID nor HTPASSWD_FILE is set');
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  return secret.SecretString ?? '';
}

async function htpasswdUsers(): Promise<HtpasswdUsers> {
  if (users === undefined || Date.now() - users.loadedAt > REFRESH_MS) {
    const value = htpasswdText().then((text) => {
      try {
        return parseHtpasswd(text);
      } catch (err) {
        // A secret not (yet) filled with htpasswd lines lets nobody in, rather than failing requests.
        logger.error('The htpasswd secret holds no usable entries; every caller is refused', {
          error: String(err),
        });
        return new Map<string, string>();
      }
    });
    users = { value, loadedAt: Date.now() };
    value.catch(() => {
      users = undefined;
    });
  }
  return users.value;
}

/** The identity of one request, given the users (tests call this directly). */
export async function authorizeBasic(
  event: APIGatewayRequestAuthorizerEventV2,
  loadUsers: () => Promise<HtpasswdUsers> = htpasswdUsers,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const result = await checkBasicAuthorization(await loadUsers(), header);
  if (!result.ok)
    logger.info('Basic authentication refused', { reason: result.reason, route: event.routeKey });
  return {
    isAuthorized: true,
    context: {
      ...authorizerContext({ status: result.ok ? 'Confirmed' : 'Invalid', roles: [], systemScopeAll: false }),
      user: result.ok ? result.user : '',
    },
  };
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeBasic(event);

/**
 * The HTTP API Lambda authorizer for `http_basic`: checks the `Authorization` header against bcrypt
 * htpasswd entries kept in Secrets Manager (`HTPASSWD_SECRET_ID`; fetched once per container and
 * again after five minutes, so added users work without a deploy).
 *
 * Upstream's delayed decision: the request always goes on, carrying `identityStatus` (`Confirmed`,
 * `Invalid`, or `Unavailable` when the entries cannot be read); the api answers 401 "Authentication
 * required" (or 503) for protected routes. API Gateway caches the result per header value.
 *
 * Wrong credentials are cheap (`lib/auth/attempt-guard.ts`): a credential judged recently is not
 * hashed again, and a source address past `AUTH_FAILURES_PER_MINUTE` failed checks has its new
 * credentials refused unchecked until the minute ends.
 */
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { AttemptGuard } from '#lib/auth/attempt-guard.ts';
import { checkBasicAuthorization, type HtpasswdUsers, parseHtpasswd } from '#lib/auth/htpasswd.ts';
import { authorizerContext, type CallerIdentity } from '#lib/auth/policy.ts';
import { config } from '#lib/config.ts';
import { logger } from '#lib/observability.ts';

const REFRESH_MS = 5 * 60_000;
let users: { value: Promise<HtpasswdUsers>; loadedAt: number } | undefined;

/** The htpasswd text: the Secrets Manager secret (AWS) or `HTPASSWD_FILE` (local stack). */
async function htpasswdText(): Promise<string> {
  if (process.env.HTPASSWD_FILE) return readFile(process.env.HTPASSWD_FILE, 'utf8');
  const secretId = process.env.HTPASSWD_SECRET_ID;
  if (!secretId) throw new Error('Neither HTPASSWD_SECRET_ID nor HTPASSWD_FILE is set');
  // Bounded: a Secrets Manager that does not answer makes the answer 503 well inside the authorizer's own timeout.
  const client = new SecretsManagerClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  const secret = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
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

let sharedGuard: AttemptGuard<string> | undefined;

function guard(): AttemptGuard<string> {
  const { auth } = config();
  sharedGuard ??= new AttemptGuard<string>({
    failuresPerWindow: auth.failuresPerMinute,
    rememberSuccessMs: auth.cacheSeconds * 1000,
  });
  return sharedGuard;
}

/** Who sent `header` from `source`, given the users (tests call this directly). */
export async function authenticateBasic(
  header: string | undefined,
  source: string | undefined,
  loadUsers: () => Promise<HtpasswdUsers> = htpasswdUsers,
  attempts: AttemptGuard<string> = guard(),
): Promise<CallerIdentity & { user: string }> {
  const refused = (reason: string) => {
    logger.info('Basic authentication refused', { reason, source });
    return { status: 'Invalid' as const, roles: [], systemScopeAll: false, user: '' };
  };
  if (header === undefined || header.trim() === '') return refused('missing credentials');
  let entries: HtpasswdUsers;
  try {
    entries = await loadUsers();
  } catch (err) {
    logger.error('The htpasswd entries could not be read', { error: String(err) });
    return {
      status: 'Unavailable',
      roles: [],
      systemScopeAll: false,
      reason: 'the user entries could not be read',
      user: '',
    };
  }
  // The entries are the generation: new entries forget what was judged under the old ones.
  const judged = await attempts.judge(header, source, entries, async () => {
    const result = await checkBasicAuthorization(entries, header);
    return result.ok ? { ok: true, value: result.user } : { ok: false };
  });
  if (judged.kind === 'source-over-budget') {
    return refused(
      `too many failed attempts from this address; checks resume in ${Math.ceil(judged.retryAfterMs / 1000)} s`,
    );
  }
  if (!judged.outcome.ok) return refused(`unknown user or wrong password (${judged.kind})`);
  return { status: 'Confirmed', roles: [], systemScopeAll: false, user: judged.outcome.value };
}

/** The authorizer's answer for one request (tests pass their own users). */
export async function authorizeBasic(
  event: APIGatewayRequestAuthorizerEventV2,
  loadUsers: () => Promise<HtpasswdUsers> = htpasswdUsers,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const identity = await authenticateBasic(header, event.requestContext?.http?.sourceIp, loadUsers);
  const { user, ...rest } = identity;
  return { isAuthorized: true, context: { ...authorizerContext(rest), user } };
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeBasic(event);

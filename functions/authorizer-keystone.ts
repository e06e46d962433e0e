/**
 * The HTTP API Lambda authorizer for `keystone`: validates `X-Auth-Token` against Keystone
 * (`KEYSTONE_AUTH_URL`) and passes the caller's roles and scope on; the api applies upstream's policy
 * per route and answers 401/403 in the inspector's format (upstream's delayed auth decision). Valid
 * tokens are cached in the container until they expire (`AUTH_CACHE_SECONDS` at most); API Gateway
 * also caches the identity per token (the stack's `authorizerCacheTtl`).
 *
 * Keystone down, slow (past `KEYSTONE_TIMEOUT_SECONDS`) or failing gives `identityStatus`
 * `Unavailable`: the api answers 503 in the inspector's format. Unknown tokens are cheap: one judged
 * recently is not sent to Keystone again, and a source address past `AUTH_FAILURES_PER_MINUTE`
 * refused tokens has its new tokens refused unchecked until the minute ends.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { AttemptGuard } from '#lib/auth/attempt-guard.ts';
import { KeystoneTokenValidator } from '#lib/auth/keystone-tokens.ts';
import { authorizerContext, type CallerIdentity } from '#lib/auth/policy.ts';
import { config } from '#lib/config.ts';
import { logger } from '#lib/observability.ts';

type Identity = CallerIdentity & { user?: string };

/** Keystone was down, slow or failing: the identity to pass on is `Unavailable`. */
class KeystoneCannotSay extends Error {
  readonly identity: Identity;

  constructor(identity: Identity) {
    super(identity.reason);
    this.identity = identity;
  }
}

let shared: { validator: KeystoneTokenValidator; guard: AttemptGuard<Identity> } | undefined;

function defaults(): { validator: KeystoneTokenValidator; guard: AttemptGuard<Identity> } {
  const { auth } = config();
  shared ??= {
    validator: new KeystoneTokenValidator(process.env.KEYSTONE_AUTH_URL ?? '', {
      timeoutMs: auth.keystoneTimeoutSeconds * 1000,
      maxCacheMs: auth.cacheSeconds * 1000,
    }),
    // Confirmed tokens are the validator's to cache (it knows their expiry): only refusals are
    // remembered here, briefly (a Keystone node that has not yet seen a new signing key refuses a good token).
    guard: new AttemptGuard<Identity>({
      failuresPerWindow: auth.failuresPerMinute,
      rememberSuccessMs: 0,
      rememberFailureMs: 30_000,
    }),
  };
  return shared;
}

/** The identity of one request (tests pass their own validator and guard). */
export async function authorizeKeystone(
  event: APIGatewayRequestAuthorizerEventV2,
  tokens: KeystoneTokenValidator = defaults().validator,
  attempts: AttemptGuard<Identity> = defaults().guard,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> {
  const token = (event.headers?.['x-auth-token'] ?? event.headers?.['X-Auth-Token'])?.trim();
  const source = event.requestContext?.http?.sourceIp;
  let identity: Identity = { status: 'Invalid', roles: [], systemScopeAll: false };
  if (token !== undefined && token !== '') {
    try {
      const judged = await attempts.judge(token, source, null, async () => {
        const found = await tokens.identify(token);
        // Keystone could not say: not the caller's failure, so neither counted nor remembered.
        if (found.status === 'Unavailable') throw new KeystoneCannotSay(found);
        return found.status === 'Confirmed' ? { ok: true, value: found } : { ok: false };
      });
      if (judged.kind === 'source-over-budget') {
        logger.info('Keystone token refused unchecked: too many refused tokens from this address', {
          source,
        });
      } else if (judged.outcome.ok) {
        identity = judged.outcome.value;
      }
    } catch (err) {
      if (!(err instanceof KeystoneCannotSay)) throw err;
      identity = err.identity;
      logger.warn('Keystone unavailable; answering 503', { reason: identity.reason, route: event.routeKey });
    }
  }
  if (identity.status === 'Invalid') logger.info('Keystone token refused', { route: event.routeKey, source });
  const { user, ...rest } = identity;
  return { isAuthorized: true, context: { ...authorizerContext(rest), user: user ?? '' } };
}

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeKeystone(event);
